//! `eval`: the same scalar logic in batchscale and in peer expression engines, each compiled
//! once and evaluated with a new input per iteration, next to a plain-Rust baseline.
//!
//! The input `x` is `$CurrentDedicatedNodes` for batchscale (changed in the snapshot each
//! iteration) and a variable `x` for the peers. Before timing, every engine is checked
//! against the baseline on every input.
//!
//! `cargo bench --bench eval -- <filter>`, e.g. `eval/ternary/batchscale`.

mod common;

use std::hint::black_box;

use common::peers::{self, Batchscale, CASES, Cel, Evalexpr, Fasteval, Rhai, input};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_eval(c: &mut Criterion) {
    for case in CASES {
        let mut bs = Batchscale::new(case.batchscale);
        let fe = case.fasteval.map(Fasteval::new);
        let mut ce = case.cel.map(Cel::new);
        let mut ee = Evalexpr::new(case.evalexpr);
        let mut rh = Rhai::new(case.rhai);

        peers::assert_all_agree(case, &mut bs, fe.as_ref(), ce.as_mut(), &mut ee, &mut rh);

        let mut group = c.benchmark_group(format!("eval/{}", case.name));
        let mut i = 0usize;
        let mut next = move || {
            i = i.wrapping_add(1);
            input(i)
        };
        group.bench_function("baseline", |b| {
            b.iter(|| (case.baseline)(black_box(next())))
        });
        group.bench_function("batchscale", |b| b.iter(|| bs.eval(black_box(next()))));
        group.bench_function("batchscale_run", |b| b.iter(|| bs.run(black_box(next()))));
        if let Some(fe) = &fe {
            group.bench_function("fasteval2", |b| b.iter(|| fe.eval(black_box(next()))));
        }
        if let Some(ce) = &mut ce {
            group.bench_function("cel", |b| b.iter(|| ce.eval(black_box(next()))));
        }
        group.bench_function("evalexpr", |b| b.iter(|| ee.eval(black_box(next()))));
        group.bench_function("rhai", |b| b.iter(|| rh.eval(black_box(next()))));
        group.finish();
    }
}

criterion_group! { name = benches; config = common::config(); targets = bench_eval }
criterion_main!(benches);
