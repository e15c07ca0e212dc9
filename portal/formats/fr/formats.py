"""French: "3 déc. 2026", "3 déc. 2026 à 14:30", "1 234 567".

The thousands separator is the narrow no-break space (espace fine
insécable), as CLDR and so babel's money format use: one separator for
numbers and amounts on the same page.
"""

DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y à H:i"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
