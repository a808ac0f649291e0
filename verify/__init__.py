"""Post-deploy verification: collect (boto3 -> records) -> judge (pure) -> report."""
