userToken = 'xoxp-41684372915-1320496754-45609968301-e708ba56e1517a99f6b5fb07349476ef'
refreshToken="xoxe-1-My0xLTMxNzcwMjQ0MTcxMy01MTU4MTUyNjkxNzE0LTUxODE4NDI0MDY3MzYtMjA5MGFkOTFlZThkZWE2OGFlZDYwYWJjODNhYzAxYjA5ZjVmODBhYjgzN2QyNDdjOTNlOGY5NTg2YWM1OGM4Mg"
slackToken = "xoxs-416843729158-132049654-5609968301-e708ba56e1"
SLACK_WEBHOOK_URL = "hooks.slack.com/services/l8sftqjpbrsp0wk25fouk9rmlc27swm5mr9xtqgnyaae"
SLACK_WEBHOOK_URL = "http://hooks.slack.com/services/f5g3e1cv6ywjlku1rqcywbe7sgabuvqta4rek2qsl5zll"
SLACK_WEBHOOK_URL = "hooks.slack.com/workflows/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"
SLACK_WEBHOOK_URL = "http://hooks.slack.com/workflows/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"
