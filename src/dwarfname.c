/*
 * Qualified C++ names of functions that DWARF gives no linkage name: GCC
 * leaves it out of template instances over a lambda's type and out of the
 * lambda's operator() itself, and an inlined copy has no symbol either.
 * The name is built from the DIE's parents as a debugger does, in the
 * demangler's style, so it reads like the name of an out-of-line copy:
 *
 *	shapes::sort_many(std::vector<int, std::allocator<int> >&, unsigned
 *	int)::{lambda(int, int)#1}::operator()(int, int) const
 *
 * Template arguments are as the compiler wrote them in DW_AT_name.
 */

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

#define DWARFNAME_MAX		2048	/* longer names are not built */
#define DWARFNAME_MAX_DEPTH	16	/* nested scopes and types */

struct dwarfname_buf {
	char	 text[DWARFNAME_MAX];
	size_t	 len;
	int	 failed;	/* too long, or a DIE it cannot name */
};

static void	dwarfname_scope(struct dwarfname_buf *, Dwarf_Die *, int, int);
static int	dwarfname_params(struct dwarfname_buf *, Dwarf_Die *, int);
static void	dwarfname_whole(struct dwarfname_buf *, Dwarf_Die *, int);

static void
dwarfname_add(struct dwarfname_buf *b, const char *s)
{
	size_t	 n = strlen(s);

	if (b->failed || n >= sizeof b->text - b->len) {
		b->failed = 1;
		return;
	}
	memcpy(b->text + b->len, s, n + 1);
	b->len += n;
}

static const char *
dwarfname_attr_string(Dwarf_Die *die, int name)
{
	Dwarf_Attribute	 attr;

	return (dwarf_formstring(dwarf_attr_integrate(die, name, &attr)));
}

/* The DIE an attribute refers to, or NULL. */
static Dwarf_Die *
dwarfname_ref(Dwarf_Die *die, int name, Dwarf_Die *to)
{
	Dwarf_Attribute	 attr;

	if (dwarf_attr(die, name, &attr) == NULL ||
	    dwarf_formref_die(&attr, to) == NULL)
		return (NULL);
	return (to);
}

/*
 * The declaration behind an abstract or concrete function DIE: the one
 * whose parents are its namespaces and classes.
 */
static void
dwarfname_declaration(Dwarf_Die *die)
{
	Dwarf_Die	 to;
	int		 i;

	for (i = 0; i < DWARFNAME_MAX_DEPTH; i++) {
		if (dwarfname_ref(die, DW_AT_abstract_origin, &to) == NULL &&
		    dwarfname_ref(die, DW_AT_specification, &to) == NULL)
			return;
		*die = to;
	}
}

/* The demangled linkage name of a function DIE, or NULL. */
static char *
dwarfname_demangled(Dwarf_Die *die)
{
	const char	*raw;

	if ((raw = dwarfname_attr_string(die, DW_AT_linkage_name)) == NULL &&
	    (raw = dwarfname_attr_string(die, DW_AT_MIPS_linkage_name)) == NULL)
		return (NULL);
	return (cplus_demangle_v3(raw, DMGL_PARAMS | DMGL_ANSI));
}

/* C's base type names as the demangler spells them. */
static const char *
dwarfname_base(const char *name)
{
	static const char	*names[][2] = {
		{ "long int", "long" },
		{ "long unsigned int", "unsigned long" },
		{ "long long int", "long long" },
		{ "long long unsigned int", "unsigned long long" },
		{ "short int", "short" },
		{ "short unsigned int", "unsigned short" },
	};
	size_t			 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i][0]) == 0)
			return (names[i][1]);
	return (name);
}

/* A closure type: unnamed, with an operator() (put in call). */
static int
dwarfname_closure_call(Dwarf_Die *die, Dwarf_Die *call)
{
	const char	*name;
	int		 tag = dwarf_tag(die);

	if ((tag != DW_TAG_structure_type && tag != DW_TAG_class_type) ||
	    dwarf_hasattr(die, DW_AT_name) || dwarf_child(die, call) != 0)
		return (0);
	do {
		if (dwarf_tag(call) == DW_TAG_subprogram &&
		    (name = dwarfname_attr_string(call, DW_AT_name)) != NULL &&
		    strcmp(name, "operator()") == 0)
			return (1);
	} while (dwarf_siblingof(call, call) == 0);
	return (0);
}

static int
dwarfname_decl_pos(Dwarf_Die *die)
{
	int	 line, col;

	if (dwarf_decl_line(die, &line) != 0)
		line = 0;
	if (dwarf_decl_column(die, &col) != 0)
		col = 0;
	return (line * 4096 + (col & 4095));
}

/*
 * The closure types under scope (not inside other closures or functions)
 * declared before pos. GCC numbers a function's lambdas in source order.
 */
static int
dwarfname_closures_before(Dwarf_Die *scope, int pos, int depth)
{
	Dwarf_Die	 child, call;
	int		 n = 0;

	if (depth == DWARFNAME_MAX_DEPTH || dwarf_child(scope, &child) != 0)
		return (0);
	do {
		if (dwarfname_closure_call(&child, &call))
			n += dwarfname_decl_pos(&child) < pos;
		else if (dwarf_tag(&child) == DW_TAG_lexical_block)
			n += dwarfname_closures_before(&child, pos, depth + 1);
	} while (dwarf_siblingof(&child, &child) == 0);
	return (n);
}

/* "{lambda(int, int)#1}": its operator() gives the parameters. */
static void
dwarfname_closure(struct dwarfname_buf *b, Dwarf_Die *closure,
    Dwarf_Die *call, Dwarf_Die *function, int depth)
{
	char		 num[16];
	int		 n;

	dwarfname_add(b, "{lambda");
	dwarfname_params(b, call, depth + 1);
	n = dwarfname_closures_before(function, dwarfname_decl_pos(closure), 0);
	snprintf(num, sizeof num, "#%d}", n + 1);
	dwarfname_add(b, num);
}

/* The name of a type as the demangler writes it: "int const&". */
static void
dwarfname_type(struct dwarfname_buf *b, Dwarf_Die *type, int depth)
{
	Dwarf_Die	 to;
	const char	*name;

	if (depth == DWARFNAME_MAX_DEPTH) {
		b->failed = 1;
		return;
	}
	switch (dwarf_tag(type)) {
	case DW_TAG_base_type:
		if ((name = dwarf_diename(type)) == NULL)
			break;
		dwarfname_add(b, dwarfname_base(name));
		return;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type:
		dwarfname_scope(b, type, 1, depth + 1);
		return;
	case DW_TAG_typedef:
		/* Mangled names, and so the demangler, see through typedefs. */
		if (dwarfname_ref(type, DW_AT_type, &to) == NULL)
			break;
		dwarfname_type(b, &to, depth + 1);
		return;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		if (dwarfname_ref(type, DW_AT_type, &to) == NULL) {
			if (dwarf_tag(type) != DW_TAG_pointer_type)
				break;
			dwarfname_add(b, "void");
		} else
			dwarfname_type(b, &to, depth + 1);
		switch (dwarf_tag(type)) {
		case DW_TAG_const_type:
			dwarfname_add(b, " const");
			break;
		case DW_TAG_volatile_type:
			dwarfname_add(b, " volatile");
			break;
		case DW_TAG_pointer_type:
			dwarfname_add(b, "*");
			break;
		case DW_TAG_reference_type:
			dwarfname_add(b, "&");
			break;
		default:
			dwarfname_add(b, "&&");
		}
		return;
	}
	b->failed = 1;
}

/* A member function's "this" points to a const object: " const". */
static int
dwarfname_this_const(Dwarf_Die *param)
{
	Dwarf_Die	 type;
	int		 i;

	if (dwarfname_ref(param, DW_AT_type, &type) == NULL)
		return (0);
	/* Past the pointer's own const, to what it points to. */
	for (i = 0; i < 2 && dwarf_tag(&type) == DW_TAG_const_type; i++)
		if (dwarfname_ref(&type, DW_AT_type, &type) == NULL)
			return (0);
	return (dwarf_tag(&type) == DW_TAG_pointer_type &&
	    dwarfname_ref(&type, DW_AT_type, &type) != NULL &&
	    dwarf_tag(&type) == DW_TAG_const_type);
}

/*
 * "(int, int)": a function DIE's parameters. Returns whether it is a
 * member function of a const object.
 */
static int
dwarfname_params(struct dwarfname_buf *b, Dwarf_Die *function, int depth)
{
	Dwarf_Die	 child, type;
	int		 n = 0, is_const = 0;

	dwarfname_add(b, "(");
	if (dwarf_child(function, &child) == 0) {
		do {
			switch (dwarf_tag(&child)) {
			case DW_TAG_formal_parameter:
				if (dwarf_hasattr(&child, DW_AT_artificial)) {
					is_const |= dwarfname_this_const(&child);
					continue;
				}
				if (n++ > 0)
					dwarfname_add(b, ", ");
				if (dwarfname_ref(&child, DW_AT_type, &type) ==
				    NULL)
					b->failed = 1;
				else
					dwarfname_type(b, &type, depth + 1);
				break;
			case DW_TAG_unspecified_parameters:
				dwarfname_add(b, n++ > 0 ? ", ..." : "...");
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	dwarfname_add(b, ")");
	return (is_const);
}

/*
 * "ns::Class::" for a DIE, or with self "ns::Class::Type" for a type: its
 * parents, outermost first, up to the function it is local to, which its
 * demangled name stands for whole.
 */
static void
dwarfname_scope(struct dwarfname_buf *b, Dwarf_Die *die, int self,
    int depth)
{
	Dwarf_Die	*scopes, call;
	const char	*name;
	char		*demangled;
	int		 n, i, from;

	if (depth >= DWARFNAME_MAX_DEPTH ||
	    (n = dwarf_getscopes_die(die, &scopes)) <= 0) {
		b->failed = 1;
		return;
	}
	/* scopes[0] is die, scopes[n - 1] its unit. */
	for (from = 1; from < n - 1; from++)
		if (dwarf_tag(&scopes[from]) == DW_TAG_subprogram)
			break;
	for (i = from < n - 1 ? from : n - 2; i >= !self && !b->failed; i--) {
		switch (dwarf_tag(&scopes[i])) {
		case DW_TAG_subprogram:
			if ((demangled = dwarfname_demangled(&scopes[i])) ==
			    NULL) {
				dwarfname_whole(b, &scopes[i], depth + 1);
				break;
			}
			dwarfname_add(b, demangled);
			free(demangled);
			break;
		case DW_TAG_namespace:
			name = dwarf_diename(&scopes[i]);
			dwarfname_add(b, name != NULL ? name :
			    "(anonymous namespace)");
			break;
		case DW_TAG_structure_type:
		case DW_TAG_class_type:
		case DW_TAG_union_type:
		case DW_TAG_enumeration_type:
			if ((name = dwarf_diename(&scopes[i])) != NULL)
				dwarfname_add(b, name);
			else if (from < n - 1 &&
			    dwarfname_closure_call(&scopes[i], &call))
				dwarfname_closure(b, &scopes[i], &call,
				    &scopes[from], depth);
			else
				b->failed = 1;
			break;
		case DW_TAG_lexical_block:
			continue;
		default:
			b->failed = 1;
		}
		if (i > 0)
			dwarfname_add(b, "::");
	}
	free(scopes);
}

/* A function DIE's qualified name and parameters. */
static void
dwarfname_whole(struct dwarfname_buf *b, Dwarf_Die *die, int depth)
{
	Dwarf_Die	 decl = *die;
	const char	*name;

	dwarfname_declaration(&decl);
	if ((name = dwarf_diename(&decl)) == NULL) {
		b->failed = 1;
		return;
	}
	dwarfname_scope(b, &decl, 0, depth);
	dwarfname_add(b, name);
	if (dwarfname_params(b, &decl, depth))
		dwarfname_add(b, " const");
}

/*
 * The qualified name of a C++ function DIE (abstract, concrete or inlined)
 * with its parameters, or NULL when it cannot be told whole. Free it.
 */
char *
dwarfname_function(Dwarf_Die *die)
{
	struct dwarfname_buf	*b;
	Dwarf_Die		 cu;
	char			*s = NULL;

	/* C names need no building; other languages name as they like. */
	if (dwarf_diecu(die, &cu, NULL, NULL) == NULL)
		return (NULL);
	switch (dwarf_srclang(&cu)) {
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
		break;
	default:
		return (NULL);
	}
	b = xcalloc(1, sizeof *b);
	dwarfname_whole(b, die, 0);
	if (!b->failed)
		s = xstrdup(b->text);
	free(b);
	return (s);
}
