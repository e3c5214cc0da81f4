/*
 * cxx: a C++ program whose hot code has C++ names: a namespace, a class
 * template method, lambdas and std::sort's template machinery.
 *
 *	main -> ns::Worker<double>::run -> std::sort internals, lambdas
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

namespace ns {

template <typename T>
class Worker {
public:
	explicit Worker(std::size_t n) : data_(n) {}
	T run(std::uint64_t seed);

private:
	std::vector<T> data_;
};

/* Fill the vector from a generator lambda, then sort it in reverse. */
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
	return data_[data_.size() / 2];
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
