"""Arabic number separators, in Latin digits: "1,234,567", "0.5".

Latin digits, as most pan-Arab news sites print them and as the references,
IBANs and licence numbers beside them are written; so the separators are
CLDR's for Arabic in Latin digits, the same as babel's money format, not
Django's "," and "." (docs/glossary.md).
"""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
