"""Run the stack program locally, without the Pulumi CLI or an AWS account."""
