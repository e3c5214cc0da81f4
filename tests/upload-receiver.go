// upload-receiver: a test server for profdropd's uploader. It takes
// Pyroscope pushes (POST /push.v1.PusherService/Push, Connect JSON) and
// checks them as Pyroscope's handlers do: a __name__, valid label names,
// at most 30 of them per series, a UUID sample ID, base64 raw profiles
// (gzip allowed) within the limits on size, samples and labels per
// sample. Any other path takes a plain POST of a whole file. Each body is
// stored under -dir and logged on one line; faults can be asked for.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

var (
	addr       = flag.String("addr", "127.0.0.1:0", "where to listen")
	portFile   = flag.String("port-file", "", "file to write the port to")
	dir        = flag.String("dir", ".", "where bodies are stored")
	certFile   = flag.String("tls-cert", "", "serve HTTPS with this certificate")
	keyFile    = flag.String("tls-key", "", "and this key")
	clientCA   = flag.String("client-ca", "", "require a client certificate signed by these")
	fail500    = flag.Int("fail", 0, "answer 500 to the first N requests")
	hang       = flag.Int("hang", 0, "answer the next N requests after -hang-for")
	hangFor    = flag.Duration("hang-for", 3*time.Second, "how long a hung request waits")
	refuseAt   = flag.Int("refuse-at", 0, "answer 400 to request number N (from 1)")
	slow       = flag.Duration("slow", 0, "wait this long before answering each request")
	retryAfter = flag.Int("retry-after", 0, "Retry-After seconds on a 500")
	maxSamples = flag.Int("max-samples", 16000, "samples per profile")
	maxBytes   = flag.Int("max-bytes", 4<<20, "bytes per profile, uncompressed")
	maxLabels  = flag.Int("max-labels", 100, "labels per sample")
	maxNames   = flag.Int("max-label-names", 30, "label names per series")
	maxAge     = flag.Duration("max-age", time.Hour, "refuse profiles older than this")
)

var (
	mu       sync.Mutex
	requests int
	seen     = map[string]int{}
	uuidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	labelRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

type labelPair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type rawSample struct {
	RawProfile []byte `json:"rawProfile"` // base64 in JSON
	ID         string `json:"ID"`
}

type series struct {
	Labels  []labelPair `json:"labels"`
	Samples []rawSample `json:"samples"`
}

type pushRequest struct {
	Series []series `json:"series"`
}

// varint reads a protobuf varint at b[i:].
func varint(b []byte, i int) (uint64, int, error) {
	var v uint64
	for s := uint(0); s < 64; s += 7 {
		if i >= len(b) {
			return 0, 0, errors.New("truncated varint")
		}
		c := b[i]
		i++
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			return v, i, nil
		}
	}
	return 0, 0, errors.New("varint too long")
}

// fields calls f for each field of message b: number, wire type, and
// the bytes of a length-delimited one or the value of a varint.
func fields(b []byte, f func(num uint64, wt uint64, data []byte, v uint64) error) error {
	for i := 0; i < len(b); {
		key, n, err := varint(b, i)
		if err != nil {
			return err
		}
		i = n
		num, wt := key>>3, key&7
		var v uint64
		var data []byte
		switch wt {
		case 0:
			if v, i, err = varint(b, i); err != nil {
				return err
			}
		case 1:
			i += 8
		case 5:
			i += 4
		case 2:
			l, n, err := varint(b, i)
			if err != nil {
				return err
			}
			if l > uint64(len(b)-n) {
				return errors.New("field past the end")
			}
			data = b[n : n+int(l)]
			i = n + int(l)
		default:
			return fmt.Errorf("wire type %d", wt)
		}
		if i > len(b) {
			return errors.New("field past the end")
		}
		if err := f(num, wt, data, v); err != nil {
			return err
		}
	}
	return nil
}

// check counts a pprof's samples and their labels against the limits,
// and returns its sample count and time_nanos.
func check(p []byte) (int, int64, error) {
	if len(p) > *maxBytes {
		return 0, 0, fmt.Errorf("profile of %d bytes, limit %d", len(p), *maxBytes)
	}
	samples := 0
	var when int64
	err := fields(p, func(num, wt uint64, data []byte, v uint64) error {
		switch num {
		case 2:
			samples++
			labels := 0
			if err := fields(data, func(n, _ uint64, _ []byte, _ uint64) error {
				if n == 3 {
					labels++
				}
				return nil
			}); err != nil {
				return err
			}
			if labels > *maxLabels {
				return fmt.Errorf("sample with %d labels, limit %d", labels, *maxLabels)
			}
		case 9:
			when = int64(v)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if samples > *maxSamples {
		return 0, 0, fmt.Errorf("%d samples, limit %d", samples, *maxSamples)
	}
	if t := time.Unix(0, when); time.Since(t) > *maxAge || time.Until(t) > 10*time.Minute {
		return 0, 0, fmt.Errorf("profile time %s outside the ingestion window", t.UTC())
	}
	return samples, when, nil
}

func gunzip(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, int64(*maxBytes)+1))
}

// fault answers as the flags ask for request n; true if it did.
func fault(w http.ResponseWriter, n int) bool {
	if *slow > 0 {
		time.Sleep(*slow)
	}
	mu.Lock()
	h := *hang > 0
	if h {
		*hang--
	}
	mu.Unlock()
	if h {
		log.Printf("request %d: hung", n)
		time.Sleep(*hangFor)
		return true
	}
	if n <= *fail500 {
		log.Printf("request %d: answered 500", n)
		if *retryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(*retryAfter))
		}
		http.Error(w, "test outage", http.StatusInternalServerError)
		return true
	}
	if n == *refuseAt {
		log.Printf("request %d: refused with 400", n)
		http.Error(w, "test refusal: bad profile", http.StatusBadRequest)
		return true
	}
	return false
}

func store(n int, what string, b []byte) string {
	name := filepath.Join(*dir, fmt.Sprintf("%05d-%s", n, what))
	if err := os.WriteFile(name, b, 0o644); err != nil {
		log.Fatal(err)
	}
	return name
}

func push(w http.ResponseWriter, r *http.Request, n int, body []byte) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		http.Error(w, "content type "+ct+" not supported", http.StatusUnsupportedMediaType)
		return
	}
	var req pushRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "invalid JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	for _, s := range req.Series {
		names := map[string]string{}
		for _, l := range s.Labels {
			if !labelRE.MatchString(l.Name) {
				http.Error(w, "invalid label name "+l.Name, http.StatusBadRequest)
				return
			}
			names[l.Name] = l.Value
		}
		if names["__name__"] == "" {
			http.Error(w, "empty __name__", http.StatusBadRequest)
			return
		}
		if len(names) > *maxNames {
			http.Error(w, "too many label names", http.StatusBadRequest)
			return
		}
		var ls []string
		for _, l := range s.Labels {
			ls = append(ls, l.Name+"="+l.Value)
		}
		for _, smp := range s.Samples {
			if !uuidRE.MatchString(smp.ID) {
				http.Error(w, "sample ID "+smp.ID+" is not a UUID", http.StatusBadRequest)
				return
			}
			p, err := gunzip(smp.RawProfile)
			if err != nil {
				http.Error(w, "raw profile: "+err.Error(), http.StatusBadRequest)
				return
			}
			count, when, err := check(p)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			mu.Lock()
			seen[smp.ID]++
			dup := seen[smp.ID]
			mu.Unlock()
			file := store(n, "push.pb", p)
			log.Printf("push n=%d id=%s copy=%d name=%s service=%s time=%d samples=%d raw=%d body=%d tenant=%s labels=%s file=%s",
				n, smp.ID, dup, names["__name__"], names["service_name"], when, count,
				len(p), len(body), r.Header.Get("X-Scope-OrgID"), strings.Join(ls, ","), file)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "{}")
}

func plain(w http.ResponseWriter, r *http.Request, n int, body []byte) {
	name := r.Header.Get("X-Profile-Name")
	mu.Lock()
	seen[name]++
	dup := seen[name]
	mu.Unlock()
	file := store(n, "http.pb.gz", body)
	log.Printf("http n=%d name=%s copy=%d type=%s start=%s end=%s host=%s bytes=%d auth=%t file=%s",
		n, name, dup, r.Header.Get("X-Profile-Type"), r.Header.Get("X-Profile-Start"),
		r.Header.Get("X-Profile-End"), r.Header.Get("X-Profile-Host"), len(body),
		r.Header.Get("Authorization") != "", file)
}

func handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return
	}
	mu.Lock()
	requests++
	n := requests
	mu.Unlock()
	if fault(w, n) {
		return
	}
	if r.URL.Path == "/push.v1.PusherService/Push" {
		push(w, r, n, body)
	} else {
		plain(w, r, n, body)
	}
}

// stamped begins each log line with the Unix time, for the tests to
// measure waits and delays against the files' times.
type stamped struct{}

func (stamped) Write(p []byte) (int, error) {
	t := time.Now()
	fmt.Fprintf(os.Stderr, "%d.%06d %s", t.Unix(), t.Nanosecond()/1000, p)
	return len(p), nil
}

// tlsConfig serves the certificate given, and asks for a client's when
// -client-ca names the certificates it must be signed by.
func tlsConfig() *tls.Config {
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}}
	if *clientCA != "" {
		pem, err := os.ReadFile(*clientCA)
		if err != nil {
			log.Fatal(err)
		}
		c.ClientCAs = x509.NewCertPool()
		if !c.ClientCAs.AppendCertsFromPEM(pem) {
			log.Fatalf("%s: no certificate in it", *clientCA)
		}
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetOutput(stamped{})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// A failed handshake goes to the log through the standard logger.
	srv := &http.Server{Handler: http.HandlerFunc(handle)}
	if *certFile != "" {
		ln = tls.NewListener(ln, tlsConfig())
	}
	if *portFile != "" {
		port := ln.Addr().(*net.TCPAddr).Port
		if err := os.WriteFile(*portFile+".tmp", []byte(fmt.Sprintln(port)), 0o644); err != nil {
			log.Fatal(err)
		}
		os.Rename(*portFile+".tmp", *portFile)
	}
	log.Fatal(srv.Serve(ln))
}
