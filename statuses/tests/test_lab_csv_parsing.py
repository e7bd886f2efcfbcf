"""Reading a lab CSV (docs/rules.md §5): columns, results, dates, encodings and
the errors, without the database."""

import datetime

import pytest
from django.utils import translation

from accounts.tests.constants import ALMATY, NOW
from statuses import lab_csv
from statuses.lab_csv import parse_lab_csv
from statuses.rules import Source
from statuses.tests.test_imports import HEADER, IIN_A, IIN_B, parse


@pytest.mark.parametrize(
    ("result", "source"),
    [
        ("positive", Source.PCR_POSITIVE),
        ("Positive", Source.PCR_POSITIVE),
        ("положительный", Source.PCR_POSITIVE),
        ("+", Source.PCR_POSITIVE),
        ("negative", Source.PCR_NEGATIVE),
        ("ОТРИЦАТЕЛЬНЫЙ", Source.PCR_NEGATIVE),
        ("-", Source.PCR_NEGATIVE),
        ("vaccinated", Source.VACCINATION),
        ("вакцинирован", Source.VACCINATION),
        ("recovered", Source.RECOVERY),
        ("переболел", Source.RECOVERY),
        ("pcr_negative", Source.PCR_NEGATIVE),
    ],
)
def test_parse_lab_csv_accepts_result(result, source):
    parsed = parse(f"{IIN_A},S-1,2021-09-14 10:30,{result},KDL Olymp")

    assert parsed.error is None
    assert parsed.rejected == []
    assert parsed.rows == [
        lab_csv.ParsedRow(
            line=2,
            iin=IIN_A,
            sample_id="S-1",
            taken_at=datetime.datetime(2021, 9, 14, 10, 30, tzinfo=ALMATY),
            source=source,
            lab="KDL Olymp",
        )
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-09-14", datetime.datetime(2021, 9, 14, 0, 0, tzinfo=ALMATY)),
        ("2021-09-14 10:30", datetime.datetime(2021, 9, 14, 10, 30, tzinfo=ALMATY)),
        ("2021-09-14T10:30:00+06:00", datetime.datetime(2021, 9, 14, 4, 30, tzinfo=datetime.UTC)),
        ("2021-09-14T04:30:00Z", datetime.datetime(2021, 9, 14, 4, 30, tzinfo=datetime.UTC)),
        ("14.09.2021", datetime.datetime(2021, 9, 14, 0, 0, tzinfo=ALMATY)),
        ("14.09.2021 10:30", datetime.datetime(2021, 9, 14, 10, 30, tzinfo=ALMATY)),
        ("14.09.2021 10:30:15", datetime.datetime(2021, 9, 14, 10, 30, 15, tzinfo=ALMATY)),
        # Within the hour of tolerance for a lab clock running fast.
        ("2021-09-20 12:59", datetime.datetime(2021, 9, 20, 12, 59, tzinfo=ALMATY)),
    ],
)
def test_parse_lab_csv_reads_date(value, expected):
    parsed = parse(f"{IIN_A},S-1,{value},negative,KDL")

    assert [row.taken_at for row in parsed.rows] == [expected]
    assert parsed.rows[0].taken_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("row", "code", "params"),
    [
        ("12345,S-1,2021-09-14,negative,KDL", "iin_length", {}),
        ("85010130000x,S-1,2021-09-14,negative,KDL", "iin_digits", {}),
        ("850101700001,S-1,2021-09-14,negative,KDL", "iin_century", {}),
        ("851301300001,S-1,2021-09-14,negative,KDL", "iin_date", {}),
        (
            f"{IIN_A[:11]}{(int(IIN_A[11]) + 1) % 10},S-1,2021-09-14,negative,KDL",
            "iin_check_digit",
            {},
        ),
        (",S-1,2021-09-14,negative,KDL", "iin_length", {}),
        ("50101500000,S-1,2021-09-14,negative,KDL", "iin_leading_zero", {}),
        (f"{IIN_A}, ,2021-09-14,negative,KDL", "sample_id_empty", {}),
        (f"{IIN_A},{'9' * 101},2021-09-14,negative,KDL", "sample_id_too_long", {"limit": 100}),
        (f"{IIN_A},S-1,2021-09-14,negative,", "lab_empty", {}),
        (f"{IIN_A},S-1,2021-09-14,negative,{'L' * 201}", "lab_too_long", {"limit": 200}),
        (f"{IIN_A},S-1,,negative,KDL", "taken_at_empty", {}),
        (f"{IIN_A},S-1,14/09/2021,negative,KDL", "taken_at_format", {"value": "14/09/2021"}),
        (f"{IIN_A},S-1,2021-02-30,negative,KDL", "taken_at_format", {"value": "2021-02-30"}),
        (f"{IIN_A},S-1,31.09.2021,negative,KDL", "taken_at_format", {"value": "31.09.2021"}),
        (f"{IIN_A},S-1,20210914,negative,KDL", "taken_at_format", {"value": "20210914"}),
        (
            f"{IIN_A},S-1,2021-09-20 13:01,negative,KDL",
            "taken_at_future",
            {"value": "2021-09-20 13:01"},
        ),
        (f"{IIN_A},S-1,2021-09-14,inconclusive,KDL", "result_unknown", {"value": "inconclusive"}),
        (f"{IIN_A},S-1,2021-09-14,,KDL", "result_unknown", {"value": ""}),
        (f"{IIN_A},S-1,2021-09-14,negative", "column_count", {"found": 4, "expected": 5}),
        (f"{IIN_A},S-1,2021-09-14,negative,KDL,extra", "column_count", {"found": 6, "expected": 5}),
    ],
)
def test_parse_lab_csv_rejects_row(row, code, params):
    parsed = parse(row)

    assert parsed.error is None
    assert parsed.rows == []
    assert [(r.line, r.code, r.params) for r in parsed.rejected] == [(2, code, params)]


def test_parse_lab_csv_keeps_the_values_of_a_rejected_row():
    parsed = parse(f"{IIN_A},S-1,2021-09-14,maybe,KDL")

    assert parsed.rejected[0].values == {
        "iin": IIN_A,
        "sample_id": "S-1",
        "taken_at": "2021-09-14",
        "result": "maybe",
        "lab": "KDL",
    }


def test_parse_lab_csv_rejected_row_message_is_translated():
    parsed = parse("1234,S-1,2021-09-14,negative,KDL", f"{IIN_A},S-2,2021-09-14,maybe,KDL")

    with translation.override("en"):
        messages = [row.message for row in parsed.rejected]

    assert messages == [
        "An IIN must be exactly 12 digits long.",
        "“maybe” is not a known result. Use positive, negative, vaccinated or recovered.",
    ]


def test_parse_lab_csv_rejects_the_second_of_a_duplicate_in_the_file():
    parsed = parse(
        f"{IIN_A},S-1,2021-09-14,negative,KDL",
        f"{IIN_B},S-1,2021-09-15,positive,KDL",
        f"{IIN_B},S-1,2021-09-15,positive,Other lab",
    )

    assert [row.line for row in parsed.rows] == [2, 4]
    assert [(r.line, r.code, r.params) for r in parsed.rejected] == [
        (3, "duplicate_in_file", {"line": 2})
    ]


def test_parse_lab_csv_skips_blank_lines_and_trailing_separators():
    data = (
        "iin;sample_id;taken_at;result;lab;;\r\n"
        f"{IIN_A};S-1;14.09.2021 10:30;negative;KDL;;\r\n"
        ";;;;;;\r\n"
        "\r\n"
        f"{IIN_B};S-2;14.09.2021 11:00;positive;KDL\r\n"
    ).encode()

    parsed = parse_lab_csv(data, now=NOW)

    assert parsed.error is None
    assert parsed.rejected == []
    assert [(row.line, row.iin) for row in parsed.rows] == [(2, IIN_A), (5, IIN_B)]


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("IIN,Sample ID,Sample taken at,Result,Lab", f"{IIN_A},S-1,2021-09-14,negative,KDL"),
        (" iin , SAMPLE_ID , taken_at , result , lab ", f"{IIN_A},S-1,2021-09-14,negative,KDL"),
        (
            "ИИН,Номер пробы,Дата забора,Результат,Лаборатория",
            f"{IIN_A},S-1,2021-09-14,negative,KDL",
        ),
        (
            "ЖСН,номер  пробы,дата_забора,результат,лаборатория",
            f"{IIN_A},S-1,2021-09-14,negative,KDL",
        ),
        ("lab,result,taken_at,sample_id,iin", f"KDL,negative,2021-09-14,S-1,{IIN_A}"),
    ],
)
def test_parse_lab_csv_matches_column_names(header, row):
    parsed = parse(row, header=f"{header}\n")

    assert parsed.error is None
    assert [(r.iin, r.sample_id, r.lab, r.source) for r in parsed.rows] == [
        (IIN_A, "S-1", "KDL", Source.PCR_NEGATIVE)
    ]


RUSSIAN_HEADER = "ИИН;Номер пробы;Дата забора;Результат;Лаборатория"
UTF8_WITH_BOM = f"\ufeff{RUSSIAN_HEADER}\n{IIN_A};П-1;14.09.2021;положительный;Лаборатория №1\n"
WINDOWS_1251 = f"{RUSSIAN_HEADER}\r\n{IIN_A};П-1;14.09.2021 10:30;отрицательный;Олимп\r\n"
UTF16_WITH_TABS = (
    f"iin\tsample_id\ttaken_at\tresult\tlab\r\n{IIN_A}\tS-1\t2021-09-14\tnegative\tKDL\r\n"
)


@pytest.mark.parametrize(
    ("text", "encoding", "delimiter", "expected"),
    [
        (UTF8_WITH_BOM, "utf-8", ";", ("П-1", "Лаборатория №1", Source.PCR_POSITIVE)),
        (WINDOWS_1251, "cp1251", ";", ("П-1", "Олимп", Source.PCR_NEGATIVE)),
        (UTF16_WITH_TABS, "utf-16", "\t", ("S-1", "KDL", Source.PCR_NEGATIVE)),
    ],
    ids=["utf-8 with BOM", "windows-1251", "tabs in utf-16"],
)
def test_parse_lab_csv_reads_the_encodings_labs_write(text, encoding, delimiter, expected):
    parsed = parse_lab_csv(text.encode(encoding), now=NOW)

    assert (parsed.encoding, parsed.delimiter) == (encoding, delimiter)
    assert [(row.sample_id, row.lab, row.source) for row in parsed.rows] == [expected]


def test_parse_lab_csv_reads_quoted_values():
    parsed = parse(f'"{IIN_A}","S-1","2021-09-14","negative","Lab ""North"", Almaty"')

    assert [row.lab for row in parsed.rows] == ['Lab "North", Almaty']


@pytest.mark.parametrize(
    ("data", "code", "params"),
    [
        (b"", "empty", {}),
        (b"\r\n \r\n", "empty", {}),
        (HEADER.encode(), "no_rows", {}),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "binary", {}),
        (bytes(range(256)) * 4, "encoding", {}),
        (
            b"iin,sample_id,result,lab\n",
            "missing_columns",
            {"missing": "taken_at", "expected": lab_csv.EXPECTED_COLUMNS},
        ),
        (
            b"iin,sample,taken_at,result,lab,comment\n",
            "missing_columns",
            {"missing": "sample_id", "expected": lab_csv.EXPECTED_COLUMNS},
        ),
        (
            b"iin,sample_id,taken_at,result,lab,comment\n",
            "unknown_columns",
            {"unknown": "comment", "expected": lab_csv.EXPECTED_COLUMNS},
        ),
        (
            "iin,ИИН,sample_id,taken_at,result,lab\n".encode(),
            "duplicate_columns",
            {"column": "ИИН"},
        ),
        (
            HEADER.encode() + b'"' + b"x" * 200_000 + b'",S-1,2021-09-14,negative,KDL\n',
            "malformed",
            {"line": 2},
        ),
    ],
)
def test_parse_lab_csv_file_error(data, code, params):
    parsed = parse_lab_csv(data, now=NOW)

    assert (parsed.error.code, parsed.error.params) == (code, params)
    assert (parsed.rows, parsed.rejected) == ([], [])


def test_parse_lab_csv_file_error_names_the_columns():
    parsed = parse_lab_csv(b"iin,sample_id,result,lab,comment\n", now=NOW)

    with translation.override("en"):
        message = parsed.error.message

    assert message == (
        "Missing columns: taken_at. The file needs the columns iin (ИИН), sample_id (номер "
        "пробы), taken_at (дата забора), result (результат), lab (лаборатория)."
    )


def test_parse_lab_csv_refuses_a_file_too_large(monkeypatch):
    monkeypatch.setattr(lab_csv, "MAX_FILE_BYTES", 100)

    parsed = parse(*[f"{IIN_A},S-{n},2021-09-14,negative,KDL" for n in range(5)])

    assert (parsed.error.code, parsed.error.params) == ("too_large", {"limit": 0})


def test_parse_lab_csv_refuses_too_many_rows(monkeypatch):
    monkeypatch.setattr(lab_csv, "MAX_ROWS", 3)

    three = parse(*[f"{IIN_A},S-{n},2021-09-14,negative,KDL" for n in range(3)])
    four = parse(*[f"{IIN_A},S-{n},2021-09-14,negative,KDL" for n in range(4)])

    assert (three.error, len(three.rows)) == (None, 3)
    assert (four.error.code, four.error.params, four.rows) == ("too_many_rows", {"limit": 3}, [])


# --- check and commit -----------------------------------------------------
@pytest.mark.parametrize(
    ("result", "source"),
    [
        ("оң", "pcr_positive"),
        ("теріс", "pcr_negative"),
        ("Вакцинацияланған", "vaccination"),
        ("ауырып жазылған", "recovery"),
    ],
)
def test_parse_lab_csv_reads_a_kazakh_file(result, source):
    parsed = parse(
        f"{IIN_A},С-1,14.09.2021 10:30,{result},Олимп",
        header="ЖСН,сынама нөмірі,сынама алынған уақыт,нәтиже,зертхана\n",
    )

    assert parsed.error is None
    assert parsed.rejected == []
    assert [(row.iin, row.source) for row in parsed.rows] == [(IIN_A, source)]
