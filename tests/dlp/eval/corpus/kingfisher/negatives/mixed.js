const azureOpenaiHost = 'my-instance.openai.azure.com';
const facebookAppId = 'FACEBOOK_APPLICATION_ID=123456789012345';
const tinesWebhookUrl = 'https://example.tines.com/webhook/1234567890abcdef1234567890abcdef/abcdef1234567890abcdef1234567890';
