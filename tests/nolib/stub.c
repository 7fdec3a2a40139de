/* Built as libpq.so.5 and libcrypto.so.3 without any of their functions, for
 * test_predlog_nolib.c: found first through LD_LIBRARY_PATH, it stands for a system whose
 * libpq or libcrypto is broken or incompatible, which libappcore must report, not crash on. */
int appcore_test_stub_library(void);

int appcore_test_stub_library(void)
{
	return 0;
}
