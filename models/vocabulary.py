"""The closed vocabularies of the record model (what a fact *is*), shared by loader, API and docs.

What a fact *counts* is data, not code: measures and units are declared in the seed files
(``models.terms``). ``LEGACY_MEASURES`` is the vocabulary this code once fixed; seed files
that declare no measures still load against it.
"""

# Ids of facts, sources, articles, measures, units and places: short, lowercase, URL-safe.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$"

LEGACY_MEASURES: dict[str, str] = {
    "killed": "People killed (deaths).",
    "wounded": "People wounded or injured.",
    "casualties": "Killed plus wounded, reported as one figure.",
    "deployed": "Personnel sent or stationed (troops deployed).",
    "workers": "Civilian workers sent abroad.",
    "wounded_repatriated": "Wounded personnel sent back to their home country.",
    "missing": "People missing.",
    "captured": "People taken prisoner.",
    "displaced": "People displaced from their homes.",
    "evacuated": "People evacuated.",
    "deployment_phases": "Number of separate phases (waves) in which personnel were sent.",
    "sectors": "Number of sectors (e.g. of industry) covered by an agreement or talks.",
}

QUALIFIERS: dict[str, str] = {
    "exact": "Stated as a plain figure: value_low = value = value_high.",
    "about": "Approximate ('about', 'around', 'some'): no bounds implied.",
    "at_least": "A floor ('at least'): value_low = value.",
    "at_most": "A ceiling ('at most', 'up to'): value_high = value.",
    "more_than": "Strictly above ('more than', 'over'): value_low = value.",
    "less_than": "Strictly below ('less than', 'under'): value_high = value.",
    "nearly": "Just below ('nearly', 'almost'): value_high = value.",
    "range": "A stated range or a figure in words: bounds only; value may be null.",
}

DATE_PRECISIONS: dict[str, str] = {
    "minute": "The day and the time to the minute are known.",
    "hour": "The day and the hour are known.",
    "day": "The exact day is known.",
    "month": "Only the month is known; the date is the first day of that month.",
    "year": "Only the year is known; the date is January 1 of that year.",
    "unknown": "The date is not known (it is null).",
}

SOURCE_KINDS: dict[str, str] = {
    "intelligence_agency": "A state intelligence service.",
    "government": "A government or ministry.",
    "military": "Armed forces or a defence ministry.",
    "legislator": "A member of a legislature.",
    "official": "An official or a group of officials speaking in an official capacity.",
    "media": "A news organisation asserting or relaying a figure.",
    "other": "Anyone else, including unattributed reports.",
    "international_organization": "A body of several states (a UN agency, the ICRC).",
    "company": "A business speaking for itself.",
    "ngo": "A non-governmental organisation.",
    "research": "A research institute, scientific consortium or university.",
    "person": "A named individual speaking for no body.",
    "anonymous": "Unnamed people ('people familiar with the matter').",
    "document": "A report or release as such, when no body is named as speaker.",
}

ASPECTS: dict[str, str] = {
    "level": "A total at a time (a stock): '1,992 deaths', 'a workforce of 84,900'.",
    "increment": "An addition to an earlier total: '2,000 more', 'a further 10,000'.",
    "change": "A change over a baseline, in the unit given: '+0.8%', '0.17C warmer'.",
    "share": "A part of a whole, in percent: '49.4% of the vote'.",
    "rate": "Per time or per something: '5,000 a day', '25,000 per game'.",
}

STATUSES: dict[str, str] = {
    "reported": "Given as a count or measurement.",
    "estimated": "Given as an estimate.",
    "projected": "A forecast or an expectation.",
    "planned": "What someone plans to do.",
    "pledged": "What someone has promised.",
    "target": "A goal.",
}
# Only these take part in "the current figure" (latest, as_of) with reported counts.
ACTUAL_STATUSES = ("reported", "estimated")

ORIGINS: dict[str, str] = {
    "briefing": "A briefing or press conference.",
    "statement": "A written or spoken statement.",
    "interview": "An interview.",
    "report": "A report.",
    "release": "A data release (statistics, results).",
    "leak": "A leak.",
}

BOUNDS_BASES: dict[str, str] = {
    "stated": "The words or figures printed give the bounds.",
    "convention": "The bounds are this data set's convention for vague words ('several': 3-9).",
}

DIMENSIONS: dict[str, str] = {
    "count": "A number of things or people.",
    "percent": "Percent.",
    "percentage_point": "Percentage points (a difference of percentages).",
    "currency": "Money, in one currency (ISO 4217).",
    "mass": "Mass (tonnes).",
    "length": "Length.",
    "area": "Area.",
    "volume": "Volume.",
    "temperature": "Temperature, or a difference of temperatures.",
    "duration": "A span of time.",
    "rate": "An amount per time or per something.",
    "concentration": "A concentration (parts per million).",
}

PLACE_KINDS: dict[str, str] = {
    "world": "The whole world.",
    "continent": "A continent or world region.",
    "country": "A country or territory.",
    "region": "A first-level division (state, province, governorate).",
    "district": "A lower-level division.",
    "city": "A city or town.",
    "site": "A site (a camp, a facility, a stadium).",
    "other": "Anything else.",
}
