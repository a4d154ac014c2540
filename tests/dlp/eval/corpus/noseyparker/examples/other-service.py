ADAFRUIT_IO_KEY = "aio_NrZCb67VvzSaM7fr3nMXrfZ1uMPH"
token         = "dop_v1_ef0e04edc13918192246e0c90f0735c7f4db7a5a036a857e48d6cc98f1c9576b"
DOPPLER_PERSONAL_TOKEN = "dp.pt.bAqhcVzrhy5cRHkOlNTc0Ve6w5NUDCpcutm8vGE9myi"
url = 'https://graph.facebook.com/me/friends?access_token=EAACEdEose0cBAD5XZCz5JXYvqyeJzcSvFZC42toHiWyfjhcZCMZBZCpE3uRJnEBsrhUEMRK1wWs6SsdiDCaCI1mYwyoNuMix2XZCpvsKbZB9TumtZBlcLeIpl4pa931Ce9rTinEAhtyVVZAAZAX4NmfpBUqWtzCRC0fX5GZBn7ZC28mPKAZDZD'

jenkins_user = 'root'
# jenkins_passwd = '116365fd86d63bf507aba962606a5c8956'  Pre token
jenkins_passwd = '11811f784531053132519844d047186074'   # Dev Token
jenkins_url = 'http://10.1.188.121'
                placeholder="e.g: NRAK-CIH1YVYWKA9ZP6E49WP5XYJH1G9">
NEW_RELIC_ADMIN_API_KEY = "admin_access:NRAA-4780f48c47df5882dbec3fd82c7"
SHOPIFY_ACCESS_TOKEN_LEGACY_PRIVATE_APP = "SHOP_PASSWORD=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"
TELEGRAM_BOT_TOKEN = "4839574813:AAFD39kkdpWt3ywyRZergyOLMaJhac61qc"
THINGSBOARD_ACCESS_TOKEN = "coap://coap.thingsboard.cloud/api/v1/354u1g321kcqc1oad3w7/telemetry"
TWITCH_STREAM_KEY = "live_126031192_tiX3sbwIzL9VmkecdxioBMA1LJ9S4m"
