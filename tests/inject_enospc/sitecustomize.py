"""Injected "no space left on device" for store tests on machines where a small tmpfs cannot
be mounted. Active only in processes started with OLM_TEST_ENOSPC_AFTER_FILES=N (and this
folder on PYTHONPATH): after N part files, every further part file fails the way a full disk
does - the bytes go into the temporary file, then the write raises OSError(ENOSPC). Everything
else (the writer's clean-up, the pipeline, the run record) is the real code.
"""

import errno
import os

_AFTER = int(os.environ.get("OLM_TEST_ENOSPC_AFTER_FILES", "-1"))

if _AFTER >= 0:
    import olmstats.store.writing as _writing

    _real = _writing.write_new_file
    _written = [0]

    def _write_new_file(path, write):
        if path.suffix != ".parquet":
            return _real(path, write)
        _written[0] += 1
        if _written[0] <= _AFTER:
            return _real(path, write)

        def full_disk(handle):
            write(handle)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return _real(path, full_disk)

    _writing.write_new_file = _write_new_file
