	azureOpenaiHost := "mycompany-east-us.openai.azure.com"
	bitbucketClientId := "bitbucket.client.ID=abcdefghij1234567890klmnopqrst"
	confluentClientId := "kafka_client=WXYZ9876MNOP5432"
