/* Source lines of tests/symtest.c that test-symbols expects to see. */
#ifndef SYMTEST_H
#define SYMTEST_H

#define SYMTEST_INNER_DECL	16	/* inner_fn */
#define SYMTEST_INNER_LINE	21	/* the inlined loop body */
#define SYMTEST_OUTER_DECL	28	/* outer_fn */
#define SYMTEST_CALL_LINE	30	/* outer_fn calls inner_fn */
#define SYMTEST_PLAIN_DECL	35	/* plain_fn */
#define SYMTEST_PLAIN_LINE	37	/* plain_fn's store */

#endif /* SYMTEST_H */
