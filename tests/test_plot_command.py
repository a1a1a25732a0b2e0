"""The ``dlcourse plot`` command: files written, defaults, help and errors.

The tests build the command's parser the way ``dlcourse.cli`` does, without
importing every other command (some import nbgrader, which is slow).
"""

import argparse

import pytest
from matplotlib import animation
from PIL import Image

from dlcourse.commands import plot as plot_command
from dlcourse.descent.presets import available_optimizers
from dlcourse.descent.objectives import OBJECTIVES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def plot(*argv):
    parser = argparse.ArgumentParser(prog="dlcourse plot", description=plot_command.DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    plot_command.add_arguments(parser)
    return plot_command.run(parser.parse_args(argv))


def fails_with(capsys, *argv):
    """Run the command expecting exit code 2; return what it wrote on stderr."""
    try:
        code = plot(*argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err
    return captured.err


def test_png_with_all_defaults(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert plot("bowl", "--dpi", "30") == 0
    out = tmp_path / "bowl.png"
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(out) as image:
        image.verify()
    report = capsys.readouterr().out
    for name in ("sgd", "momentum", "nesterov", "rmsprop", "adam"):
        assert f"{name} (lr " in report
    assert report.strip().endswith("wrote bowl.png")


def test_rosenbrock_alone_uses_its_own_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert plot("rosenbrock", "--dpi", "20") == 0
    report = capsys.readouterr().out
    assert "sgd (lr 0.001)" in report and "adam (lr 0.1)" in report
    assert report.count("500 steps") == 5 and "diverged" not in report
    assert (tmp_path / "rosenbrock.png").read_bytes()[:8] == PNG_SIGNATURE


def test_one_dimensional_function(tmp_path, capsys):
    out = tmp_path / "hill.png"
    assert plot("square", "--optimizers", "sgd,adam", "--start", "-4", "--lr", "sgd=0.8",
                "--steps", "30", "--out", str(out), "--dpi", "30") == 0
    report = capsys.readouterr().out
    assert "sgd (lr 0.8)" in report and "adam (lr 0.3)" in report
    # the notes' x(30) = -8.84296e-07, so the loss is its square
    assert "sgd (lr 0.8)                30 steps  final loss 7.81979e-13" in report
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_gif_has_one_frame_per_step(tmp_path, capsys):
    out = tmp_path / "ravine.gif"
    assert plot("ravine", "--optimizers", "sgd,momentum,nesterov,rmsprop,adam", "--lr", "0.05",
                "--steps", "8", "--out", str(out), "--dpi", "20") == 0
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames == 9
    assert capsys.readouterr().out.count("(lr 0.05)") == 5


def test_gif_stride(tmp_path):
    out = tmp_path / "bowl.gif"
    assert plot("bowl", "--optimizers", "adam", "--steps", "10", "--stride", "5", "--out", str(out),
                "--dpi", "20") == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 3  # steps 0, 5 and 10


def test_mp4_needs_ffmpeg(tmp_path, capsys):
    out = tmp_path / "bowl.mp4"
    argv = ("bowl", "--optimizers", "sgd", "--steps", "3", "--out", str(out), "--dpi", "20")
    if animation.writers.is_available("ffmpeg"):
        assert plot(*argv) == 0 and out.stat().st_size > 0
    else:
        assert "needs ffmpeg" in fails_with(capsys, *argv)


def test_help_lists_functions_and_optimizers(capsys):
    with pytest.raises(SystemExit) as exit_:
        plot("--help")
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for name in OBJECTIVES:
        assert name in text
    for name in available_optimizers():
        assert name in text
    assert "--optimizers" in text and "--lr" in text and ".gif" in text


@pytest.mark.parametrize("argv, message", [
    (("banana",), "invalid choice: 'banana' (choose from 'square'"),
    (("bowl", "--optimizers", "sgd,lbfgs"), "unknown optimizer 'lbfgs'; choose from: sgd, momentum"),
    (("bowl", "--lr", "0"), "learning rate must be a finite number > 0; got '0'"),
    (("bowl", "--lr", "-0.1"), "learning rate must be a finite number > 0; got '-0.1'"),
    (("bowl", "--lr", "nan"), "learning rate must be a finite number > 0; got 'nan'"),
    (("bowl", "--lr", "fast"), "learning rate must be a number > 0; got 'fast'"),
    (("bowl", "--lr", "adam=-1"), "learning rate of adam must be a finite number > 0"),
    (("bowl", "--lr", "lbfgs=0.1"), "unknown optimizer 'lbfgs'"),
    (("bowl", "--steps", "0"), "--steps: must be a whole number > 0; got 0"),
    (("bowl", "--steps", "ten"), "--steps: must be a whole number > 0; got 'ten'"),
    (("bowl", "--start", "1"), "--start needs 2 number(s) for bowl; got 1"),
    (("bowl", "--out", "bowl.jpg"), "unknown file type '.jpg' for 'bowl.jpg'; use one of .png, .gif, .mp4"),
    (("bowl", "--out", "bowl"), "unknown file type '(none)'"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, argv, message):
    assert message in fails_with(capsys, *argv)


def test_unwritable_output(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "folder" / "out.png"
    assert f"cannot write {missing}: folder" in fails_with(capsys, "bowl", "--out", str(missing))
    folder = tmp_path / "taken.png"
    folder.mkdir()
    assert "it is a folder" in fails_with(capsys, "bowl", "--out", str(folder))


def test_the_command_follows_the_cli_contract():
    import pkgutil  # noqa: PLC0415

    import dlcourse.commands  # noqa: PLC0415

    assert "plot" in {info.name for info in pkgutil.iter_modules(dlcourse.commands.__path__)}
    assert isinstance(plot_command.HELP, str) and "\n" not in plot_command.HELP
    assert callable(plot_command.add_arguments) and callable(plot_command.run)
