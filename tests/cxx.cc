/*
 * cxx: a C++ program whose hot code has C++ names: a namespace, a class
 * template method, lambdas and std::sort's template machinery. GCC gives
 * the std::sort instances over the lambda of a plain function, and that
 * lambda's operator(), no linkage names; all of them are inlined.
 *
 *	main -> ns::Worker<double>::run -> std::sort internals, lambdas
 *	main -> ns::Worker<double>::run -> shapes::sort_many -> std::sort
 *	    internals -> shapes::sort_many(...)::{lambda(int, int)#1}
 *
 * usage: cxx [SECONDS]
 */

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "testprog.h"

namespace shapes {

/* Sort by a hash of the value: the lambda's body is worth sampling. */
__attribute__((noinline)) int
sort_many(std::vector<int> &v, std::uint32_t seed)
{
	for (auto &e : v)
		e = static_cast<int>(seed = seed * 1664525u + 1013904223u);
	std::sort(v.begin(), v.end(), [](int a, int b) {
		std::uint32_t ha = (a ^ (a >> 7)) * 2654435761u;
		std::uint32_t hb = (b ^ (b >> 7)) * 2654435761u;

		return ha < hb;
	});
	return v[v.size() / 2];
}

}  // namespace shapes

namespace ns {

template <typename T>
class Worker {
public:
	explicit Worker(std::size_t n) : data_(n), ints_(n) {}
	T run(std::uint64_t seed);

private:
	std::vector<T> data_;
	std::vector<int> ints_;
};

/*
 * Fill the vector from a generator lambda, sort it in reverse, then sort
 * as many ints by their hash.
 */
template <typename T>
__attribute__((noinline)) T
Worker<T>::run(std::uint64_t seed)
{
	auto next = [&seed]() {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		return static_cast<T>(seed >> 11);
	};

	std::generate(data_.begin(), data_.end(), next);
	std::sort(data_.begin(), data_.end(), [](T a, T b) { return a > b; });
	return data_[data_.size() / 2] + shapes::sort_many(ints_, seed);
}

template class Worker<double>;

}  // namespace ns

int
main(int argc, char **argv)
{
	using clock = std::chrono::steady_clock;
	long long seconds = 5;

	if (argc > 1)
		seconds = count_arg(argv[1], 0, "cxx [SECONDS]");

	ns::Worker<double> w(1 << 16);
	auto end = clock::now() + std::chrono::seconds(seconds);
	double sum = 0;
	std::uint64_t seed = 1;
	while (clock::now() < end)
		sum += w.run(seed++);
	std::printf("%g\n", sum);
	return 0;
}
