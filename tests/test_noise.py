"""Site furniture and OCR misreadings are data (rag/ingest/site_noise.toml): the shipped file is read and checked,
a bad edit is refused with the entry it names, and cleaning and the duty parser use what the file says."""

import re

import pytest

from rag.errors import SettingsError
from rag.ingest import cleaning
from rag.ingest.duties import extract_duties
from rag.ingest.noise import NOISE_FILE, parse_noise, site_noise, with_misreadings


def test_the_shipped_file_is_read_and_every_pattern_compiles():
    noise = site_noise()
    assert noise.lines and noise.footer_starts and noise.sharing_site
    assert all(re.compile(p) for p in noise.lines + noise.footer_starts + noise.sharing_site)
    assert ("贵任", "责任") in noise.ocr
    assert with_misreadings("责任") == "责任|贵任"
    assert with_misreadings("配合") == "配合"


@pytest.mark.parametrize(
    "text, named",
    [
        ("[boilerplate]\nlines = ['(unclosed']\n", "lines entry 1 is not a regular expression"),
        ("[boilerplate]\nlines = ['ok', 3]\n", "lines entry 2 is not a pattern"),
        ("[boilerplate]\nlines = ['" + "a" * 201 + "']\n", "longer than 200"),
        ("[boilerplate]\nlines = 'x'\n", "must be a list"),
        ("[boilerplate]\nline = ['x']\n", "unknown key 'line'"),
        ("[other]\nx = 1\n", "unknown table [other]"),
        ("[ocr]\n'贵任' = '责'\n", "[ocr] '贵任'"),
        ("lines = [", "not valid TOML"),
        ("# " + "x" * 70_000, "larger than"),
    ],
)
def test_a_bad_edit_is_refused_naming_what_is_wrong(text, named):
    with pytest.raises(SettingsError) as caught:
        parse_noise(text)
    assert named in str(caught.value)
    assert NOISE_FILE.name in str(caught.value)


def test_empty_lists_delete_nothing():
    noise = parse_noise("[boilerplate]\nlines = []\nfooter_starts = []\nsharing_site = []\n")
    assert noise.lines == noise.footer_starts == noise.sharing_site == ()
    assert not re.search(cleaning._any_of(()), "")  # an empty list matches no line, not every line


def test_cleaning_deletes_a_line_the_file_names_and_keeps_policy_text():
    text = "关于促进发展的若干措施\n本站为文档C2C交易模式，即用户上传的文档直接卖给用户\n一、支持企业加大研发投入。\n"
    clean, offsets = cleaning.clean_text(text)
    assert "C2C" not in clean
    assert "支持企业加大研发投入" in clean
    assert all(text[o] == ch for o, ch in zip(offsets, clean))


def test_the_duty_parser_reads_a_known_misreading_of_a_label():
    text = "坚持改革创新。牵头单位：市委办、市政办 贵任单位：市委组织部、市行政审批局\n"
    (duty,) = extract_duties(text)
    assert duty.lead == ("市委办", "市政办")
    assert duty.partners == ("市委组织部", "市行政审批局")
