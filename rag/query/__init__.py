"""Query: reading a question before anything is retrieved — whether it is a question at all, what it asks for
(a figure of which kind, departments, a list, a comparison) and under which constraints (year, place, level,
item). Below retrieval and answering, which both read questions through it; above text/."""
