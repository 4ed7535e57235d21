//! true: the program `linux-bench` starts with `posix_spawn` for the Linux side of
//! `make bench`'s spawn + exit + waitpid, the counterpart of Courier's `true`: a static C
//! program (with the C library's usual start-up) that returns 0.

int main(void) { return 0; }
