"""Arabic: "3 ديسمبر، 2026", "3 ديسمبر، 2026، 14:30", "1,234,567".

Latin digits, as most pan-Arab news sites print them and as the references,
IBANs and licence numbers beside them are written; so the separators are
CLDR's for Arabic in Latin digits ("." decimal, "," thousands), the same as
babel's money format, not Django's "," and "." (docs/glossary.md).
"""

DATE_FORMAT = "j F، Y"
DATETIME_FORMAT = "j F، Y، H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
