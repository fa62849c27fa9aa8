"""nnreg.core.write_atomically: regular files replaced whole, special files written through."""

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nnreg.core import write_atomically


def write_bytes(data):
    return lambda file: file.write(data)


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith("."))


def test_a_new_file_appears_whole(tmp_path):
    write_atomically(tmp_path / "out.txt", write_bytes(b"hello\n"))
    assert (tmp_path / "out.txt").read_bytes() == b"hello\n"
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_bytes(b"old")

    def fails(file):
        file.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, fails)
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_link_to_a_regular_file_stays_a_link(tmp_path):
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)
    write_atomically(link, write_bytes(b"new"))
    assert link.is_symlink() and os.readlink(link) == "real.txt"
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_a_dangling_link_gets_its_target_created(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to("later.txt")
    write_atomically(link, write_bytes(b"new"))
    assert link.is_symlink() and (tmp_path / "later.txt").read_bytes() == b"new"


@pytest.mark.parametrize("through_link", [False, True])
def test_a_fifo_is_written_through_not_replaced(tmp_path, through_link):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    path = fifo
    if through_link:
        path = tmp_path / "to-pipe"
        path.symlink_to(fifo)
    # A non-blocking reader is open first, so the writer's open does not wait for one.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_atomically(path, write_bytes(b"through the pipe"))
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not Path("/dev/null").is_char_device(), reason="no /dev/null")
def test_dev_null_stays_a_device():
    before = os.stat("/dev/null")
    write_atomically("/dev/null", write_bytes(b"discarded"))
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="no /dev/full")
@pytest.mark.parametrize("size", [10, 1 << 20])  # buffered until close, and written at once
def test_dev_full_raises_no_space(size):
    with pytest.raises(OSError, match="No space left on device") as caught:
        write_atomically("/dev/full", write_bytes(b"x" * size))
    assert caught.value.errno == errno.ENOSPC
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


WRITE_TO = """
import sys
from nnreg.core import write_atomically
print("printed first", flush=True)
write_atomically(sys.argv[1], lambda file: file.write(b"written through\\n"))
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
@pytest.mark.parametrize("mode", ["w", "a"])  # the shell's > and >>
def test_stdout_redirected_to_a_file_is_appended_to_not_replaced(tmp_path, name, mode):
    out = tmp_path / "out.txt"
    out.write_text("already there\n")
    inode = out.stat().st_ino
    with open(out, mode) as stdout:
        subprocess.run([sys.executable, "-c", WRITE_TO, name], stdout=stdout, check=True)
    kept = "already there\n" if mode == "a" else ""
    assert out.read_text() == kept + "printed first\nwritten through\n"
    assert out.stat().st_ino == inode
    assert leftovers(tmp_path) == []


def test_stdout_as_a_pipe_is_written_through():
    done = subprocess.run(
        [sys.executable, "-c", WRITE_TO, "/dev/stdout"], capture_output=True, check=True
    )
    assert done.stdout == b"printed first\nwritten through\n"


def test_a_folder_is_refused(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder") as caught:
        write_atomically(folder, write_bytes(b"x"))
    assert (caught.value.filename, caught.value.strerror) == (str(folder), "it is a folder")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["results"]


def test_a_missing_folder_is_reported_by_the_name_asked_for_not_the_temporary(tmp_path):
    with pytest.raises(FileNotFoundError) as missing:
        write_atomically(tmp_path / "nowhere" / "a.npz", lambda file: file.write(b"x"))
    assert missing.value.filename == str(tmp_path / "nowhere" / "a.npz")
