"""Cues every detector reads: the bad option rejected, corrected by the next sentence, or left in a draft."""

from __future__ import annotations

import re


def compile_cue(pattern: str) -> re.Pattern:
    """A cue pattern, matched case-insensitively."""
    return re.compile(pattern, re.I)


_ASIDE = re.compile(r"\([^()]*\)")


def without_asides(text: str) -> str:
    """The text without its brackets: an aside ("(not downsampled)", "(older SDKs didn't record it)")
    neither rejects nor excuses the statement around it."""
    return _ASIDE.sub(" ", text)


# A window that discusses the option only to reject it, or hypothetically.
REJECTION = compile_cue(
    r"\b(?:we|they|it|this|that|which)?\s?(?:do|does|did|must|should|will|would|can|could)\s?n[o']t\b"
    r"|\b(?:never|instead of|rather than|avoid\w*|reject\w*|discard\w*|dropped|abandon\w*|"
    r"was tried|were tried|we tried|tried (?:that|this|it) first|(?:did )?tr(?:y|ied) [\w\s-]{1,40}? first|"
    # the author measured the option as flattering ("0.019 RMSLE more optimistic than the time holdout")
    r"more optimistic|over-?optimistic|too optimistic|would (?:leak|inflate|flatter|let|put|give|"
    r"mean|make|teach|punish|push|overstate|hide|mislead|be wrong)|is a mistake|was the mistake|"
    r"the mistake|anti-?pattern|misleading|misleads|misled|meaningless|useless|off the table|out of the question|"
    r"objected|pushed back|vetoed|argued against|"
    r"not an option|"
    r"(?:tells?|says?|told|said) (?:us |you )?(?:almost |next to |close to )?nothing|"
    # "No chargeback-derived fields go into the feature vector"
    r"no [\w\s,-]{0,40}?\b(?:go(?:es)? into|enters?|are used|is used|feeds?)|"
    # "no post-authorization field like settlement amount ... is allowed as an input"
    r"no [\w\s,/-]{0,80}?\b(?:is|are) (?:allowed|permitted|admitted)|"
    # "Random row-level splits are not used anywhere in this project"
    r"(?:is|are|was|were) (?:not|never) (?:used|done|applied|allowed)|(?:is|are)n't (?:used|done|applied|allowed))\b"
    # a question answered no ("Is any normalisation done on the whole dataset? No.")
    r"|\?\W*no\b"
    # general advice in the second person ("If you treat everything unseen as negative, you teach ...")
    r"|\bif you\b"
)
# A following sentence that corrects the one before ("Please fit the scaler on ... instead").
CORRECTION = compile_cue(
    r"\b(?:please|let's|let us|should|instead|rather|must|fix|we will change|change (?:it|this) to)\b")
# A window that tells an earlier version of the design, not the one proposed.
DRAFT = compile_cue(r"\b(?:first draft|before (?:this|that)(?:,| change| fix)? (?:the|we|it|our|they)|the draft|initially|originally|earlier version|v1|v1's|used to|previously|"
                   r"early prototype|went this way|at first we|last time|post-incident review|"
                   r"in (?:the|our|an?) (?:early |first )?prototype|when we (?:used|tried|ran|had|did)\b|"
                   # the system being replaced, described as it is today
                   r"the current (?:parser|system|model|process|approach|solution|setup|pipeline|score|rules?|heuristic)\b|"
                   # an experiment told in the past, before the design changed ("Our first evaluation used ...")
                   r"(?:our|the|my) first (?:evaluation|notebook|experiment|run|attempt|try|pass)e?s? "
                   r"(?:\w+ ){0,3}?(?:used|did|was|were|had|gave|showed|ran|took)|"
                   r"(?:the|an?|our) (?:old|previous|earlier|former) [\w-]+ (?:report|results?|numbers|setup|pipeline)|"
                   r"(?:an?|the|our) (?:earlier|previous|older|old) (?:draft|version|design|iteration|attempt|"
                   r"approach|prototype|proposal)|(?:an?|the|our) (?:initial|first) (?:draft|attempt))\b")
# A sentence that rejects the option the one before it stated ("We dropped that: ...", "This was abandoned").
REJECTS_PREVIOUS = compile_cue(
    r"^\W*(?:we|they|the team|reviewers?)\s+(?:\w+\s+)?(?:dropped|abandoned|rejected|discarded|reverted|removed|"
    r"scrapped|threw out|moved away from)\s+(?:that|this|it|the idea)\b"
    r"|^\W*(?:that|this|it)\s+(?:was|has been|got|is)\s+(?:since\s+)?"
    r"(?:dropped|abandoned|rejected|discarded|reverted|scrapped)\b"
    # "Agronomy and Remote Sensing objected: ..." after a proposal
    r"|^\W*(?:[\w&,-]+\s+){1,6}(?:objected|pushed back|vetoed|disagreed)\b"
    # "They are very predictive, but they are left out."
    r"|^\W*(?:they|these|those|all of (?:them|these)|none of (?:them|these))\b[^.]{0,50}\b(?:are|were|is|stay)\s+"
    r"(?:all\s+)?(?:left out|excluded|not used|never used|dropped|removed|kept out)\b"
)
