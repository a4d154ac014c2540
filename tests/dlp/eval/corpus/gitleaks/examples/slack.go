	slackWebhookUrl := "http://hooks.slack.com/workflows/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"
	slackWebhookUrl := "https://hooks.slack.com/workflows/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"
	slackWebhookUrl := "https://hooks.slack.com/workflows/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"
	slackWebhookUrl := "https://hooks.slack.com/triggers/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"
