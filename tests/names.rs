// names: Rust names for the symbolizer to demangle.  The time goes about
// equally to a function in a module and to a generic function's u32
// instance, neither inlined:
//
//	main -> names::module::function
//	main -> names::generic::<u32>
//
// The test builds it with rustc, once with each symbol mangling scheme.
//
// usage: names [SECONDS]

use std::time::{Duration, Instant};

// An opaque copy, so that the loops are not computed at compile time
// (std::hint::black_box needs Rust 1.66).
#[inline(always)]
fn black_box<T: Copy>(x: T) -> T {
    unsafe { std::ptr::read_volatile(&x) }
}

mod module {
    #[inline(never)]
    pub fn function(n: u64) -> u64 {
        let mut x = super::black_box(n);
        for i in 0..n {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i & 7);
        }
        x
    }
}

pub trait Step: Copy {
    fn step(self, i: u64) -> Self;
}

impl Step for u32 {
    fn step(self, i: u64) -> u32 {
        self.wrapping_mul(1664525).wrapping_add(i as u32 & 7)
    }
}

#[inline(never)]
pub fn generic<T: Step>(mut x: T, n: u64) -> T {
    for i in 0..n {
        x = black_box(x.step(i));
    }
    x
}

fn main() {
    let secs: u64 = match std::env::args().nth(1) {
        None => 5,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("usage: names [SECONDS]");
            std::process::exit(2)
        }),
    };
    let end = Instant::now() + Duration::from_secs(secs);
    let mut sum = 0u64;
    while Instant::now() < end {
        sum = sum.wrapping_add(module::function(black_box(1 << 20)));
        sum = sum.wrapping_add(generic(black_box(sum as u32), 1 << 20) as u64);
    }
    black_box(sum);
}
