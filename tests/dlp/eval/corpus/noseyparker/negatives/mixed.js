const awsApiKey = '======================';
const awsApiKey = '//////////////////////';
const awsS3Bucket = 'example-bucket.s3.amazonaws.com';
const awsS3Bucket = 'some-bucket.s3.amazonaws.com/some-object-here';

let accountName = "";
let accountKey = Buffer.from("accountKey", "base64");

let accountName = $accountName;
let accountKey = $accountKey;
const azureDevopsPersonalAccessToken = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2g3H4i5J6k7L8m9AZDOn0p1Q';

'\\n    <script type="text/javascript">'+
'\\n        const gitalk = new Gitalk({'+
'\\n        clientID: \\'2e62dee7b9895e3eede6\\','+
'\\n        clientSecret: \\'ca6819a54657af0d87960af15315319f8a628a53\\','+
'\\n        repo: \\'AiLearning\\','+
          $cordovaOauth.google("653512027492-5u9blotr1521fa0lo1172nhv4pmqgttq.apps.googleusercontent.com", ["email"]).then(function(result) {
const sonarqubeToken = 'sonarqube-scanner/-/sonarqube-scanner-2.5.0.tgz#ff704cbddf355d38a52c5e9479d6bb5c1ff28eac';
