	dependencyTrackApiKey := "odt_ABCDDq2AGxGlrF4ribBT7p98AOM9TlU8"
	dopplerAuditToken := "dp.audit.bAqhcVzrhy5cRHkOlNTc0Ve6w5NUDCpcutm8vGE9myi"
	twitchStreamKey := "STREAM_KEY=live_126031192_RJVJxpxq8Q1X1Qdc9SwwTvpXonANmi"
