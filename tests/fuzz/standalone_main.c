/* Runs a fuzz target over files (its seed corpus and saved crash inputs)
 * without libFuzzer, so every ordinary test run replays them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *file = fopen(argv[i], "rb");
		unsigned char *data;
		long size;

		if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 ||
		    fseek(file, 0, SEEK_SET) != 0) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			return 1;
		}
		data = malloc((size_t)size + 1);
		if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			return 1;
		}
		fclose(file);
		LLVMFuzzerTestOneInput(data, (size_t)size);
		free(data);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
