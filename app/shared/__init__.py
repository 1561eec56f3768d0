"""State that replicas share: Redis when DESIGN_REVIEW_REDIS_URL is set, else this process."""
