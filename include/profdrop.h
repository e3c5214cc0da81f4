/*
 * libprofdrop: the public API.
 */
#ifndef PROFDROP_H
#define PROFDROP_H

#include <stddef.h>
#include <stdint.h>

/*
 * The profile model: a pprof profile (perftools.profiles.Profile) read,
 * checked and with every id resolved to a pointer. Strings are never NULL
 * ("" where the profile says nothing), except pd_label.str for a numeric
 * label. A profile is one allocation: pd_profile_free releases it whole.
 */

/* The default cap on the decompressed size of a profile. */
#define PD_PROFILE_MAX_BYTES	((size_t)256 << 20)

struct pd_value_type {
	const char	*type;		/* "cpu", "samples" */
	const char	*unit;		/* "nanoseconds", "count" */
};

/*
 * A label whose string is the profile's string 0 is numeric: str is NULL,
 * so a label set to "" reads as the number 0.
 */
struct pd_label {
	const char	*key;
	const char	*str;		/* NULL for a numeric label */
	int64_t		 num;
	const char	*num_unit;	/* "" when none */
};

struct pd_function {
	uint64_t	 id;
	const char	*name;		/* as shown: demangled */
	const char	*system_name;	/* as linked: mangled */
	const char	*filename;
	int64_t		 start_line;
};

struct pd_line {
	const struct pd_function *function;	/* NULL if the line names none */
	int64_t		 line;		/* 0 when unknown */
	int64_t		 column;
};

struct pd_mapping {
	uint64_t	 id;
	uint64_t	 memory_start;
	uint64_t	 memory_limit;
	uint64_t	 file_offset;
	const char	*filename;
	const char	*build_id;
	int		 has_functions;
	int		 has_filenames;
	int		 has_line_numbers;
	int		 has_inline_frames;
};

struct pd_location {
	uint64_t	 id;
	const struct pd_mapping *mapping;	/* NULL if none */
	uint64_t	 address;
	const struct pd_line *lines;	/* innermost first */
	size_t		 nlines;
	int		 is_folded;
};

struct pd_sample {
	const struct pd_location *const *locations;	/* leaf first */
	size_t		 nlocations;
	const int64_t	*values;	/* one per sample type */
	const struct pd_label *labels;
	size_t		 nlabels;
};

struct pd_profile {
	const struct pd_value_type *sample_types;	/* at least one */
	size_t		 nsample_types;
	const struct pd_sample *samples;
	size_t		 nsamples;
	const struct pd_mapping *mappings;
	size_t		 nmappings;
	const struct pd_location *locations;
	size_t		 nlocations;
	const struct pd_function *functions;
	size_t		 nfunctions;
	const char	*drop_frames;	/* regular expressions readers apply */
	const char	*keep_frames;
	int64_t		 time_nanos;
	int64_t		 duration_nanos;
	struct pd_value_type period_type;
	int64_t		 period;
	const char *const *comments;
	size_t		 ncomments;
	const char	*default_sample_type;	/* "" for the last type */
};

/*
 * The functions below return -1 (or NULL) on error and set *cause to an
 * allocated message that says what is wrong and where; elements are named
 * by their index in the model's arrays, from 0.
 */

/*
 * Read a profile, gzip-compressed or not, of at most max_bytes once
 * decompressed (0: PD_PROFILE_MAX_BYTES). Reading takes at most 21 times
 * the decompressed size in memory, whatever the input.
 */
int	 pd_profile_read(const void *, size_t, size_t, struct pd_profile **,
	     char **);
int	 pd_profile_read_file(const char *, size_t, struct pd_profile **,
	     char **);

/* Write a profile gzip-compressed, as pprof reads it. */
int	 pd_profile_write(const struct pd_profile *, int, char **);

/*
 * Merge profiles of the same sample types: samples with the same stack
 * and labels are summed; the time is the earliest, the duration spans
 * them all.
 */
int	 pd_profile_merge(const struct pd_profile *const *, size_t,
	     struct pd_profile **, char **);

/*
 * The samples that carry every label given as "KEY=VALUE", a string label
 * equal to VALUE or a numeric one that VALUE writes in decimal.
 */
int	 pd_profile_filter(const struct pd_profile *, const char *const *,
	     size_t, struct pd_profile **, char **);

void	 pd_profile_free(struct pd_profile *);

/*
 * The index of the sample type named type, or -1. NULL or "" means the
 * default, as pprof chooses it: default_sample_type, else the last type.
 */
int	 pd_profile_sample_index(const struct pd_profile *, const char *);

#endif /* PROFDROP_H */
