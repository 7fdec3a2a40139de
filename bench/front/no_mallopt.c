/*
 * Benchmark-only LD_PRELOAD shim: turns mallopt() into a no-op, so bench/front.sh can measure
 * appcore-server's memory with glibc's default allocator behaviour (as before the front set a
 * fixed mmap threshold and two arenas) against the same binary with its settings.
 *
 *   LD_PRELOAD=build-release/bench/libno_mallopt.so appcore-server ...
 */
int mallopt(int param, int value);

int mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 1;
}
