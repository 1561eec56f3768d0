"""What the reviewer knows: the corpus, the rubric built from it, and the Chroma store of both."""
