AWS_API_KEY = "A3T0ABCDEFGHIjklmnop"
AWS_API_KEY = "++++++++++++++++++++++"
AWS_S3_BUCKET = "http://s3-us-east-2.amazonaws.com/example-bucket"
AZURE_DEVOPS_PERSONAL_ACCESS_TOKEN = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2g3H4i5J6k7L8m9XXXX12345"
    client_credential='5pX8Q~MmTI8OMBJFVqMlFR4DE3Spz6Qm.xO.Gbf-'
name="ws_plugin__s2member_amazon_s3_comp_files_access_key" id="ws-plugin--s2member-amazon-s3-comp-files-access-key"
password = "123"
      GOOGLE_OAUTH2_CLIENT_ID = '607830223128-4qgthc7ofdqce232dk690t5jgkm1ce33.apps.googleusercontent.com'
GOOGLE_CLOUD_STORAGE_BUCKET = "some-bucket.example.com.storage.googleapis.com"
TWITCH_STREAM_KEY = "126031192_IgvUabrXbWSihj2ENnA59G1F8"
