"""Speed and memory benchmarks (``make bench``); results go to docs/benchmarks.md."""
