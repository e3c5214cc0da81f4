/*
 * names: C++ names for the symbolizer to demangle.  Each round spends
 * about half its time in a class template method, a quarter in a lambda
 * called through std::function and a quarter in std::sort:
 *
 *	main -> ns::Type<double>::method(int)
 *	main -> std::function -> main::{lambda(int)#1}::operator()(int) const
 *	main -> std::sort<...> internals
 *
 * usage: names [SECONDS]
 */

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "testprog.h"


volatile double		sink;

namespace ns {

template <typename T>
class Type {
public:
	NOINLINE T method(int n);

private:
	T acc_ = 1;
};

/* Mangled _ZN2ns4TypeIdE6methodEi. */
template <typename T>
NOINLINE T
Type<T>::method(int n)
{
	for (int i = 0; i < n; i++)
		acc_ = acc_ * static_cast<T>(0.999999) + static_cast<T>(i & 7);
	return acc_;
}

template class Type<double>;

}  // namespace ns

int
main(int argc, char **argv)
{
	using clock = std::chrono::steady_clock;
	long long seconds = 5;

	if (argc > 1)
		seconds = count_arg(argv[1], 0, "names [SECONDS]");

	ns::Type<double> t;
	std::function<double(int)> lambda = [](int n) NOINLINE {
		double x = 1;

		for (int i = 0; i < n; i++)
			x = x * 0.999999 + (i & 3);
		return x;
	};
	std::vector<std::uint32_t> v(1 << 14);
	std::uint32_t seed = 1;
	auto end = clock::now() + std::chrono::seconds(seconds);

	while (clock::now() < end) {
		sink = t.method(1 << 20);
		sink = lambda(1 << 19);
		for (auto &e : v)
			e = seed = seed * 1664525u + 1013904223u;
		std::sort(v.begin(), v.end());
		sink = v[v.size() / 2];
	}
	return 0;
}
