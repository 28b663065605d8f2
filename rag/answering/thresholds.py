"""Every threshold of the answer path, named and explained once. Scores are `text.overlap.support` values
(share of one text's character bigrams found in another, 0..1) unless stated otherwise."""
from __future__ import annotations

# A cited clause supports a sentence when it holds at least this share of the sentence's bigrams (and every
# number and name in it).
SUPPORT_THRESHOLD = 0.5
# A sentence with a masked figure answers a number question when it covers this share of the question's
# bigrams (masked dev questions score ≥0.6, others ≤0.1).
MASKED_MATCH = 0.35
# When the model refuses, a top-clause sentence covering this share of the question is quoted instead
# (unanswerable dev questions stay ≤0.27).
STRONG_EVIDENCE = 0.4
# A duty's task (with its clause label) must cover this share of the question to answer "who is responsible".
DUTY_MATCH = 0.2
# Bonus for a duty of the top-ranked clause when choosing among duties.
DUTY_TOP_BONUS = 0.15
# Clause sentences sharing more than this with the question are checked for a masked figure.
MASK_CHECK_RELEVANCE = 0.2
# The runner-up clause of another document is quoted too when its fused score is at least this share of the
# top one (comparison questions span documents).
RUNNER_UP_RATIO = 0.8
