"""Arabic as Morocco writes it: Western digits, day month year without a comma, 24-hour time.

Django's own `ar` formats put an Arabic comma after the month ("28 ديسمبر، 2021"), right-to-left
marks inside the short date and a 12-hour clock, and group no thousands; Moroccan usage (and
the CLDR's ar-MA) writes "28 دجنبر 2021", "9.648" and "3,5" (the month names, Morocco's
own, are in the tracker's Arabic catalogue).
"""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
