"""French number separators: "1 234 567", "0,5".

The thousands separator is the narrow no-break space (espace fine
insécable) that CLDR, and so babel's money format, uses: one separator for
the numbers and the amounts of a page.
"""

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
