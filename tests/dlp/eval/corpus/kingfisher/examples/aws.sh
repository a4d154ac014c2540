export AWS_ACCESS_KEY_ID="ASIAOZW6VBVAZFJHJLQA"

export AWS_SECRET_ACCESS_KEY="foo.backup.archive.aws.secretkey=sBmHlDFrNcsz35N+LRjwlUxF8/wypT4tiJCQ0wP4"
