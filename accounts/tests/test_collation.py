import pytest
from django.utils import translation

from accounts.collation import collation_key, sorted_by_name


@pytest.mark.parametrize(
    ("language", "words", "expected"),
    [
        # The Kazakh alphabet: А Ә Б … Ғ … Қ … Ң О Ө … У Ұ Ү … Һ … І … Я.
        (
            "kk",
            ["Ақтөбе", "Әлия", "Абай", "Ғалым", "Гүл"],
            ["Абай", "Ақтөбе", "Әлия", "Гүл", "Ғалым"],
        ),
        (
            "kk",
            ["Қызылорда", "Павлодар", "Костанай", "Қарағанды"],
            ["Костанай", "Қарағанды", "Қызылорда", "Павлодар"],
        ),
        (
            "kk",
            ["Ұлытау", "Үржар", "Уральск", "Талдықорған"],
            ["Талдықорған", "Уральск", "Ұлытау", "Үржар"],
        ),
        (
            "kk",
            ["Іле", "Ыстық", "Һижра", "Ясы", "Өскемен", "Оңтүстік"],
            ["Оңтүстік", "Өскемен", "Һижра", "Ыстық", "Іле", "Ясы"],
        ),
        ("kk", ["Ңы", "Нұр", "Ол"], ["Нұр", "Ңы", "Ол"]),
        ("kk", ["ёлка", "Ерлан", "Жанар", "Ел"], ["Ел", "Ерлан", "ёлка", "Жанар"]),
        # Case does not matter, and a space sorts before any letter.
        ("kk", ["жаңаарқа", "Жаңа дүкен", "ЖАҢА"], ["ЖАҢА", "Жаңа дүкен", "жаңаарқа"]),
        # Russian: Ё right after Е, not before А; Kazakh letters are not Russian ones.
        ("ru", ["Ёлка", "Абай", "Ель", "Яблоко"], ["Абай", "Ель", "Ёлка", "Яблоко"]),
        ("ru", ["Қарағанды", "Костанай", "Караганда"], ["Караганда", "Костанай", "Қарағанды"]),
        ("en", ["pharmacy", "Bank", "cafe", "Zoo"], ["Bank", "cafe", "pharmacy", "Zoo"]),
        # Digits and other scripts come after the language's letters.
        ("kk", ["7 күн", "Абай", "Almaty"], ["Абай", "7 күн", "Almaty"]),
    ],
)
def test_collation_follows_the_alphabet(language, words, expected):
    assert sorted(words, key=lambda word: collation_key(word, language)) == expected


def test_sorted_by_name_uses_the_active_language():
    words = ["Ёлка", "Әлия", "Ел"]
    with translation.override("kk"):
        assert sorted_by_name(words) == ["Әлия", "Ел", "Ёлка"]
    with translation.override("ru"):
        assert sorted_by_name(words) == ["Ел", "Ёлка", "Әлия"]
