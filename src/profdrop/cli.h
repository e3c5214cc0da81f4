/* profdrop, the command-line tool: its commands. */
#ifndef CLI_H
#define CLI_H

#include <sys/types.h>

#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* One subcommand; each cmd-*.c exports one. */
struct cmd_entry {
	const char	*name;
	const char	*usage;		/* its arguments */
	const char	*summary;
	int		(*exec)(int, char **);	/* the exit status */
};

extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_collapse_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_flamegraph_entry;
extern const struct cmd_entry cmd_merge_entry;
extern const struct cmd_entry cmd_query_entry;
extern const struct cmd_entry cmd_record_entry;
extern const struct cmd_entry cmd_top_entry;

/* a + b as Go adds int64s, wrapping: pprof's sums, without C's undefined. */
static inline int64_t
cli_add(int64_t a, int64_t b)
{
	return ((int64_t)((uint64_t)a + (uint64_t)b));
}

/* Go's abs64, that leaves the smallest int64 as it is. */
static inline int64_t
cli_abs(int64_t v)
{
	return (v < 0 ? (int64_t)(0 - (uint64_t)v) : v);
}

/* alloc.c */
void		*alloc_zero(size_t, size_t);
void		*alloc_resize(void *, size_t, size_t);
char		*alloc_printf(const char *, ...)
		     __attribute__((format(printf, 1, 2)));

/* cliconf.c */
char		*cliconf_drop_dir(char **);

/* command.c */
struct command {
	pid_t		 pid;
	int		 release;	/* written to let it exec */
	int		 exited;
	int		 status;	/* waitpid's, once exited */
};
pid_t		 command_start(char **, struct command *, char **);
void		 command_release(struct command *);
void		 command_abandon(struct command *);
int		 command_wait(struct command *, int);
int		 command_status(const struct command *);

/* dropsel.c */
struct pd_profile;
struct timespan;
struct dropsel_file {
	char		*path;
	const char	*kind;		/* "cpu", "offcpu", "wall" */
	int64_t		 named;		/* the window start its name says, ns */
};
struct dropsel {
	struct dropsel_file	*files;	/* by time, then path */
	size_t			 nfiles;
};
int		 dropsel_kinds(const char *, unsigned int *, char **);
int		 dropsel_scan(const char *, unsigned int, int64_t,
		     struct dropsel *, char **);
int		 dropsel_read(const struct dropsel_file *,
		     const char *const *, size_t, struct pd_profile **,
		     struct timespan *, char **);
int		 dropsel_overlaps(const struct timespan *,
		     const struct timespan *, struct timespan *);
void		 dropsel_free(struct dropsel *);

/* flame.c */
enum flame_kind {
	FLAME_USER,
	FLAME_KERNEL,
	FLAME_JIT,
	FLAME_UNKNOWN,
	FLAME_NKINDS
};
struct flame_node {
	const char	*name;		/* a graph node's, "all" for the root */
	uint64_t	 hash;
	int		 kind;		/* enum flame_kind */
	int64_t		 total[2];	/* in samples through it: NEW, BASE */
	int64_t		 self[2];	/* in samples it ends */
	size_t		 parent;	/* SIZE_MAX for the root, node 0 */
	size_t		 child;		/* the first, once laid out */
	size_t		 sibling;
	size_t		 depth;
	double		 x;		/* once laid out, in value units */
	double		 width;
};
/* Nodes come after their parent; slots index them, + 1, by hash. */
struct flame_tree {
	struct flame_node *nodes;
	size_t		 nnodes;
	size_t		 cap;
	size_t		*slots;
	size_t		 mask;
	size_t		 maxdepth;
	int		 reverse;	/* from the leaf */
};
struct graph;
uint64_t	 flame_hash(const char *, size_t);
struct flame_tree *flame_new(int);
void		 flame_add(struct flame_tree *, const struct graph *, int, int);
void		 flame_layout(struct flame_tree *, double);
void		 flame_free(struct flame_tree *);

/* flamesvg.c */
struct flame_svg {
	const char	*title;
	const char	*subtitle;
	const char	*unit;		/* of the values */
	int		 diff;		/* colour by change, not by kind */
	double		 base_scale;	/* BASE's values in NEW's terms */
};
int		 flamesvg_check_path(const char *, const char *);
int		 flamesvg_save(const char *, const char *,
		     const struct flame_tree *, const struct flame_svg *);

/* graph.c */
struct graph_node {
	const char	*name;		/* the function's, "" if none; else */
	const char	*objfile;	/* the binary it is in */
	int64_t		 start_line;	/* and its function's first line */
	char		*shown;		/* the name as pprof shows it */
	int64_t		 flat;		/* in samples it is the leaf of */
	int64_t		 cum;		/* in samples it is in */
	int		 kept;		/* for graph_fill */
	int		 inline_in;	/* an edge into it is inline */
	int		 plain_in;	/* an edge into it is not */
	size_t		 seen;		/* the last sample it was in, + 1 */
};
struct graph_edge {
	size_t		 src;
	size_t		 dst;
	int64_t		 weight;
	int		 is_inline;	/* dst is inlined into src */
	size_t		 seen;
};
/* Indexes into an array, + 1, by hash; 0 is empty. */
struct graph_table {
	size_t		*slots;
	uint64_t	*hashes;
	size_t		 mask;
	size_t		 count;
};
struct graph {
	const struct pd_profile	*p;
	struct graph_node	*nodes;
	size_t			 nnodes;
	size_t			 nodecap;
	struct graph_edge	*edges;
	size_t			 nedges;
	size_t			 edgecap;
	struct graph_table	 nodetab;
	struct graph_table	 edgetab;
	struct pd_prune	*prune;
	size_t			*first;		/* per location, in line_nodes */
	size_t			*line_nodes;	/* its nodes, innermost first */
};
struct graph	*graph_new(const struct pd_profile *);
void		 graph_fill(struct graph *, int, int);
void		 graph_mark_inline(struct graph *, int64_t);
void		 graph_free(struct graph *);

/* focus.c */
struct pd_profile;
int		 focus_compile(const char *, const char *, regex_t *, char **);
int		 focus_apply(const struct pd_profile *, const regex_t *,
		     const regex_t *, struct pd_profile **, char **);

/* gather.c */
struct mergeout;
struct selopt;
/* The profiles a command shows, merged, and the samples it keeps. */
struct gathered {
	struct mergeout		*mo;
	const struct pd_profile	*all;		/* every sample, merged */
	struct pd_profile	*filtered;	/* those kept, NULL if all */
	const struct pd_profile	*shown;		/* filtered, else all */
	const char		*what;		/* the first path or the dir */
	int			 index;		/* the sample type shown */
};
int		 gather_profiles(struct selopt *, char **, size_t,
		     struct mergeout *, char **);
int		 gather_select(struct selopt *, char **, size_t, const char *,
		     struct gathered *, char **);
void		 gather_free(struct gathered *);

/* load.c */
struct pd_profile *load_profiles(const char *, char **, size_t);
int		 load_sample_index(const struct pd_profile *, const char *,
		     const char *, char **);
int		 load_graph(const char *, char **, size_t, const char *,
		     struct pd_profile **, struct graph **);

/* mergeout.c */
struct mergeout;
struct mergeout	*mergeout_new(void);
int		 mergeout_add(struct mergeout *, struct pd_profile *,
		     const char *, char **);
const struct pd_profile *mergeout_sum(struct mergeout *, char **);
int		 mergeout_write(struct mergeout *, const char *, char **);
void		 mergeout_free(struct mergeout *);

/* promql.c */
int		 promql_when(const char *, const char *,
		     const struct timespan *, int64_t, struct timespan **,
		     size_t *, char **);

/* timearg.c */
struct timespan {
	int64_t		 start;		/* ns since the epoch */
	int64_t		 end;		/* past the last ns */
};
int64_t		 timearg_now(void);
int		 timearg_parse(const char *, const char *, int64_t,
		     int64_t *, char **);
int		 timearg_duration(const char *, const char *, int64_t *,
		     char **);
void		 timearg_format(int64_t, char *, size_t);
int		 timearg_overlaps(const struct timespan *,
		     const struct timespan *, size_t);

/* selopt.c: after timearg.c, for struct timespan */
#define SELOPT_PROFILES	0x100
#define SELOPT_SINCE	0x101
#define SELOPT_UNTIL	0x102
#define SELOPT_FOCUS	0x103
#define SELOPT_IGNORE	0x104
#define SELOPT_WRONG	0x1ff	/* from selopt_next: an argument is wrong */
/* Its long options, for a command's table; -d and -t are short too. */
#define SELOPT_LONGOPTS							\
	{ "dir",	required_argument,	NULL, 'd' },		\
	{ "profiles",	required_argument,	NULL, SELOPT_PROFILES },	\
	{ "since",	required_argument,	NULL, SELOPT_SINCE },	\
	{ "tag",	required_argument,	NULL, 't' },		\
	{ "until",	required_argument,	NULL, SELOPT_UNTIL }
/* And for the commands that show samples, the stacks they keep. */
#define SELOPT_STACK_LONGOPTS						\
	{ "focus",	required_argument,	NULL, SELOPT_FOCUS },	\
	{ "ignore",	required_argument,	NULL, SELOPT_IGNORE }
struct selopt {
	const char	 *dir;
	char		 *configured;	/* the default dir, allocated */
	unsigned int	  kinds;	/* 1 << PD_KIND_* */
	const char	**tags;		/* "KEY=VALUE" */
	size_t		  ntags;
	struct timespan	  range;	/* --since, --until */
	int		  since_given;
	int		  until_given;
	int64_t		  now;
	regex_t		  focus;	/* --focus, if has_focus */
	regex_t		  ignore;
	int		  has_focus;
	int		  has_ignore;
};
void		 selopt_init(struct selopt *, int);
struct option;
int		 selopt_set(struct selopt *, int, const char *, char **);
int		 selopt_next(struct selopt *, int, char **, const char *,
		     const struct option *, char **);
int		 selopt_check(const struct selopt *, char **);
int		 selopt_dir(struct selopt *, char **);
char		*selopt_asked(const struct selopt *);
void		 selopt_free(struct selopt *);

/* units.c */
const char	*units_choose(int64_t, int64_t, const char *);
void		 units_label(int64_t, const char *, const char *, char *,
		     size_t);
void		 units_percentage(int64_t, int64_t, char *, size_t);

/* usage.c */
int		 cmd_usage(const struct cmd_entry *);

#endif /* CLI_H */
