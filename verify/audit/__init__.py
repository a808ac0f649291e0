"""The access audit: who in this account can read this table's plaintext, by which layer, and did we mean it.

collect (boto3 -> an AccountSnapshot) -> judge (pure: each principal's two layers, by the
evaluator -> rows and findings) -> report (the matrix, JSON, JUnit).
"""
