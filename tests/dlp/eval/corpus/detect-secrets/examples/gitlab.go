	gitlabToken := "glsoat-PREfix_helloworld380_testin_pretty_long_token_long"
	gitlabToken := "glagent-Need5_T00-bee-longer-than-50_chars-or-else-failING-still_OK"
	gitlabToken := "gloas-checking_Length-Is-_exactly_64--checking_Length-Is-_exactly_64--"
