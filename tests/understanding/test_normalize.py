"""One test per normalisation rule: how people really type must not change what they mean."""

from __future__ import annotations

import unicodedata

import pytest

from bot.understanding.normalize import Lexicon, fold, fold_key, nfc, normalize, repair_telex

LEXICON = Lexicon.build(
    {"ko": ["không"], "bn": ["bạn", "bao nhiêu"], "lm": ["làm"], "j": ["gì"]},
    [["trên mạng", "online", "qua mạng"], ["facebook", "fb"]],
    ["con tôi bị bắt nạt trên mạng phải làm gì hàng ngày điện thoại không"],
)


def test_nfd_and_nfc_fold_alike() -> None:
    composed = "bắt nạt"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert normalize(decomposed, LEXICON) == normalize(composed, LEXICON)


def test_eth_is_read_as_d_stroke() -> None:
    assert nfc("Ðiện thoại ðể") == "điện thoại để"
    assert fold(nfc("Ðiện")) == "dien"


def test_fold_removes_diacritics_and_d_stroke() -> None:
    assert fold("đường dây nóng 111") == "duong day nong 111"


def test_case_and_full_width_letters() -> None:
    assert nfc("ＣＯＮ Bị") == "con bị"


def test_kept_form_only_when_diacritics_typed() -> None:
    assert normalize("cài đặt", LEXICON).kept == ("cài", "đặt")
    assert normalize("cai dat", LEXICON).kept == ()


@pytest.mark.parametrize(("typed", "meant"), [("tooi", "toi"), ("ddien", "dien"), ("thoaai", "thoai")])
def test_telex_leftovers(typed: str, meant: str) -> None:
    assert repair_telex(typed) == meant


def test_telex_repair_only_when_it_makes_a_known_word() -> None:
    assert normalize("con tooi", LEXICON).folded == ("con", "toi")
    assert "google" in normalize("google", LEXICON).folded


def test_teencode_expands_every_reading_of_an_ambiguous_token() -> None:
    assert normalize("ko lm j", LEXICON).folded == ("khong", "lam", "gi")
    assert normalize("bn", LEXICON).folded == ("ban", "bao", "nhieu")


def test_teencode_first_reading_only_for_phrase_patterns() -> None:
    assert normalize("bn", LEXICON, all_readings=False).folded == ("ban",)


def test_synonyms_map_to_the_canonical_phrase() -> None:
    assert normalize("bị bắt nạt online", LEXICON).folded == ("bi", "bat", "nat", "tren", "mang")
    assert normalize("fb", LEXICON).folded == ("facebook",)


def test_run_on_words_are_split_into_known_syllables() -> None:
    assert normalize("hàngngày", LEXICON).folded == ("hang", "ngay")


def test_doubled_last_letter_is_dropped() -> None:
    assert normalize("khongg", LEXICON).folded == ("khong",)


def test_fold_key_ignores_punctuation_and_spacing() -> None:
    assert fold_key("Con bị  bắt nạt?!") == fold_key("con bi bat nat")


def test_run_on_split_needs_a_vowel_in_each_part() -> None:
    lexicon = Lexicon.build({}, [], ["ch ao chao"[:5]])  # knows "ch" and "ao" but not "chao"
    assert normalize("chao", lexicon).folded == ("chao",)


def test_one_letter_slip_is_repaired_to_a_known_syllable() -> None:
    assert normalize("nghienf game", Lexicon.build({}, [], ["nghiện game"])).folded == ("nghien", "game")


def test_a_word_typed_with_its_marks_is_not_an_abbreviation() -> None:
    lexicon = Lexicon.build({"a": ["anh", "à", "ạ"], "mún": ["muốn"]}, [], ["anh"])
    assert normalize("dạ vâng ạ", lexicon).folded == ("da", "vang", "a")
    assert normalize("e mún", lexicon).folded[-1] == "muon"


def test_neighbours_choose_the_reading_of_an_ambiguous_abbreviation() -> None:
    lexicon = Lexicon.build({"bn": ["bạn", "bao nhiêu"]}, [], ["bạn bè của con", "giá bao nhiêu tiền"])
    assert normalize("bn bè", lexicon).folded == ("ban", "be")
    assert normalize("giá bn tiền", lexicon).folded == ("gia", "bao", "nhieu", "tien")
    assert normalize("bn", lexicon).folded == ("ban", "bao", "nhieu")  # no evidence: every reading


def test_synonym_must_be_spelled_alike_when_typed_with_marks() -> None:
    lexicon = Lexicon.build({}, [["điện thoại", "dế yêu"]], [])
    assert normalize("để yêu thương con", lexicon).folded[:2] == ("de", "yeu")
    assert normalize("dế yêu của con", lexicon).folded[:2] == ("dien", "thoai")
    assert normalize("de yeu cua con", lexicon).folded[:2] == ("dien", "thoai")


KEYS_LEXICON = Lexicon.build({}, [], ["con tôi bị bạn nhận tin nhắn người lạ đi học không can thiệp hay game"])


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("con tooi bij", ("con", "toi", "bi")),  # Telex: oo = ô, j = nặng
        ("nhaanj tin nhawns", ("nhan", "tin", "nhan")),
        ("ddi hocj", ("di", "hoc")),
        ("nguwowif las", ("nguoi", "la")),
        ("to6i ba5n", ("toi", "ban")),  # VNI: 6 = ^, 5 = nặng
        ("d9i ho5c kho6ng", ("di", "hoc", "khong")),
        ("ngu7o72i la5", ("nguoi", "la")),
    ],
)
def test_telex_and_vni_leftovers_are_decoded(typed: str, meant: tuple[str, ...]) -> None:
    assert normalize(typed, KEYS_LEXICON).folded == meant


@pytest.mark.parametrize("word", ["can", "hay", "game", "google", "roblox", "thiep"])
def test_known_or_foreign_words_are_not_read_as_keystrokes(word: str) -> None:
    """'can' is a word (and 's'/'x' are Telex marks): known words, and decodings that give no
    syllable we know, stay as typed."""
    assert normalize(word, KEYS_LEXICON).folded == (word,)


@pytest.mark.parametrize(
    "typed",
    [
        "muốn\u00adchết",  # soft hyphen
        "mu\u200bốn chết",  # zero-width space inside a word
        "muốn ch\u200dết",  # zero-width joiner
        "\ufeffmuốn chết",  # byte-order mark
        "muốnnnn chếtttt",  # letters held down
    ],
)
def test_invisible_characters_and_held_letters_do_not_disguise_words(typed: str) -> None:
    assert normalize(typed, Lexicon.build({}, [], ["muốn chết"])).folded == ("muon", "chet")


def test_held_down_letters_are_squeezed_but_digits_are_not() -> None:
    assert nfc("chán sốnggg lắmmmm 111") == "chán sống lắm 111"
