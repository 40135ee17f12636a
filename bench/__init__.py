"""seamline's benchmarks: each compares seamline with a baseline in the same run."""
