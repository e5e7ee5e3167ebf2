import hashlib

import pytest

from bildgen.store.files import ImageFiles


def test_saved_file_holds_exactly_the_bytes_under_their_hash(tmp_path):
    files = ImageFiles(tmp_path)
    data = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
    sha256 = files.save(data)
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert files.path_for(sha256).read_bytes() == data
    assert list((tmp_path / "tmp").iterdir()) == []


def test_identical_images_share_one_file(tmp_path):
    files = ImageFiles(tmp_path)
    assert files.save(b"same") == files.save(b"same")
    assert len(list(tmp_path.rglob("*.png"))) == 1


def test_a_failed_write_leaves_neither_a_file_nor_a_temporary(tmp_path, monkeypatch):
    files = ImageFiles(tmp_path)

    def broken_fsync(descriptor):
        raise OSError("disk full")

    monkeypatch.setattr("bildgen.store.files.os.fsync", broken_fsync)
    with pytest.raises(OSError):
        files.save(b"will not land")
    assert list(tmp_path.rglob("*.png")) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_paths_are_only_made_from_hashes(tmp_path):
    with pytest.raises(ValueError):
        ImageFiles(tmp_path).path_for("../../etc/passwd")
