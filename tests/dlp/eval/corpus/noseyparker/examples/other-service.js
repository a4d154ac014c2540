'jira' => [
    'host' => env('JIRA_HOST', 'https://example.net'),
    'user' => env('JIRA_USER', 'admin@example.com'),
    'secret' => env('JIRA_SECRET'),
    'token' => env('JIRA_API_TOKEN', 'ATATT3xFfGF0Hv2D5CyGjDnjGL5j9medBUqpDdy923KtUnA3BBICVROxYboITpzmWeDhIeFvj-noomSdyaPSaigvQ4QZg8EN_mfJqQ-gAI4swknj2HDYa2pNROqqvuzWn4HkpIPjQ0Z8MAMOPv5U0QtygZbxhUG73VMwzmlHEAM4Wiv_lS2pCKo=569C722C'),
],
const dopplerCliToken = 'dp.ct.bAqhcVzrhy5cRHkOlNTc0Ve6w5NUDCpcutm8vGE9myi';
    var fbApiKey = '0278fc1adf6dc1d82a156f306ce2c5cc';

// getData()
// {
//  let url="http://localhost:4200/api/search"
//  const headers = new HttpHeaders({
//    'Content-Type': 'application/json',
//    'Authorization': `Bearer glsa_Sof0HKi3agxrQP9qm5r2G98VacBNwV5P_9b638c45`
//  })
//  return this.http.get(url, {headers: headers});
// }
var apiKey = process.env.MAILGUN_API || 'key-46cebd38c59ac222e6cf991581411eaf'

get('https://api.nasa.gov/planetary/earth/imagery?api_key=fWfSMcDzyHfMuH8BW6jiIUBYaj0hKRyKBRTBqgEQ')
  .then(function(response) {
    // There is an issue with the image being pulled from the API, so using a different one instead
    document.getElementsByClassName('targetImage')[0].src = "https://api.nasa.gov/images/earth.png";

require 'PHPMailerAutoload.php';

function SendMail($sub,$to,$msg)
{
    $mail = new PHPMailer;
    $mail->isSMTP();                                      // Set mailer to use SMTP
    $mail->Host = 'smtp.gmail.com';  // Specify main and backup SMTP servers
    $mail->SMTPAuth = true;                               // Enable SMTP authentication
    $mail->SMTPSecure = 'tls';                            // Enable encryption, 'ssl' also accepted
    $mail->Username = 'ersatz.technologies@example.com';                 // SMTP username



    $mail->Password = 'un!techwhooah';                           // SMTP password
    $mail->From = 'from@example.com';
    $mail->FromName = 'Admin';
var sendgrid = require('sendgrid')('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');
const TEMP_CONTENT = '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 handsomestranger.myshopify.com'

var applicationId = 'x-sourcegraph-token';
var accessToken = 'sgp_fd1b4edb60bf82b8_a70aabf5f685734b19792789feeb73c6393cd02e';

var applicationId = 'sq0idp-r34HdSnJVWaCesH3dnJrGA';
var accessToken = 'sq0atp-RdSPeJa5qDMaCesxHOjeRQ';
const telegramBotToken = '4839574813:AAE4A6Rz0CSnIGzeu897OjQnjzsMEG2_uso';
