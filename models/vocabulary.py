"""The controlled vocabularies of the record model, shared by the loader, the API and the docs."""

# Ids of facts, sources and articles: short, lowercase, URL-safe, readable.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$"

MEASURES: dict[str, str] = {
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
    "day": "The exact day is known.",
    "month": "Only the month is known; the date is the first day of that month.",
    "year": "Only the year is known; the date is January 1 of that year.",
}

SOURCE_KINDS: dict[str, str] = {
    "intelligence_agency": "A state intelligence service.",
    "government": "A government or ministry.",
    "military": "Armed forces or a defence ministry.",
    "legislator": "A member of a legislature.",
    "official": "An official or a group of officials speaking in an official capacity.",
    "media": "A news organisation asserting a figure itself.",
    "other": "Anyone else, including unattributed reports.",
}
