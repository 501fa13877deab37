"""The atomic results writer after a killed run: nothing lost, nothing left behind."""

from __future__ import annotations

import os

import pytest

from m100model.io import OutputExistsError, tidy, write_results_dir


def _fill(folder):
    (folder / "summary.json").write_text("{}\n", encoding="utf-8")


def test_previous_results_parked_by_a_killed_swap_come_back(tmp_path):
    """A run killed between its two renames left the previous results as `.res.old` and no
    `res`: the next write restores them first, so without --force it refuses and the
    previous results are in place; with --force they are replaced."""
    old = tmp_path / ".res.old"
    old.mkdir()
    (old / "precious.csv").write_text("a,b\n", encoding="utf-8")
    target = tmp_path / "res"
    with pytest.raises(OutputExistsError):
        write_results_dir(target, _fill)
    assert (target / "precious.csv").read_text(encoding="utf-8") == "a,b\n"
    assert not old.exists()
    write_results_dir(target, _fill, force=True)
    assert sorted(p.name for p in target.iterdir()) == ["summary.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_temporary_folders_of_dead_writers_are_removed(tmp_path):
    """`.res.<pid>.*` of a writer that is no longer running is removed; that of a running
    writer (this process) is left alone."""
    dead = 2**22 + 12345  # above the default pid_max: no such process
    with pytest.raises(ProcessLookupError):
        os.kill(dead, 0)
    stale = tmp_path / f".res.{dead}.abc"
    stale.mkdir()
    (stale / "half.csv").write_text("x\n", encoding="utf-8")
    live = tmp_path / f".res.{os.getpid()}.xyz"
    live.mkdir()
    write_results_dir(tmp_path / "res", _fill)
    assert not stale.exists()
    assert live.exists()
    assert (tmp_path / "res" / "summary.json").exists()


def test_previous_results_parked_by_a_writer_killed_after_its_swap_are_removed(tmp_path):
    """Killed after the swap, before it removed what it had parked: `res` is the new
    results, `.res.old` a whole stale copy of the old ones, which the next write removes
    (under the swap lock nothing else leaves both), even one that is refused."""
    target = tmp_path / "res"
    write_results_dir(target, _fill)
    old = tmp_path / ".res.old"
    old.mkdir()
    (old / "stale.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        write_results_dir(target, _fill)
    assert not old.exists()
    assert sorted(p.name for p in target.iterdir()) == ["summary.json"]


def test_tidy_puts_right_what_a_killed_writer_left_before_a_command_looks(tmp_path):
    """A command checks whether its output folder exists before it works: it must see the
    previous results a killed swap parked, and find no hidden folders of dead writers."""
    old = tmp_path / ".res.old"
    old.mkdir()
    (old / "precious.csv").write_text("a,b\n", encoding="utf-8")
    dead = tmp_path / f".res.{2**22 + 12345}.abc"
    dead.mkdir()
    tidy(tmp_path / "missing" / ".." / "res")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]
    assert (tmp_path / "res" / "precious.csv").read_text(encoding="utf-8") == "a,b\n"
    tidy(tmp_path / "nowhere" / "res")  # a folder that is not there: nothing to do
    assert not (tmp_path / "nowhere").exists()
