#include "support/certificates.hh"

#include "support/endpoints.hh"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace broker::test {

namespace {

/// Extensions of the certificates we make (`-extensions <section>`): CAs
/// may sign, leaves serve both ends of a connection (the initiator of a
/// peering is the TLS client, the acceptor the server).
constexpr const char* openssl_config = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = broker test
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

/// Options of `openssl req` for a new EC P-256 key without encryption.
constexpr const char* new_key = "-config openssl.cnf -newkey ec -pkeyopt "
                                "ec_paramgen_curve:prime256v1 -nodes";

/// Validity of our certificates.
constexpr int validity_days = 2;

std::string shell_quoted(const std::string& str) {
  std::string result = "'";
  for (auto c : str) {
    if (c == '\'')
      result += "'\\''";
    else
      result += c;
  }
  result += '\'';
  return result;
}

} // namespace

certificate_dir::certificate_dir() {
  auto tmp = std::getenv("TMPDIR");
  std::string templ =
      std::string{tmp && *tmp ? tmp : "/tmp"} + "/broker-certs-XXXXXX";
  if (!::mkdtemp(templ.data()))
    throw std::runtime_error("cannot create a directory from " + templ);
  dir_ = std::move(templ);
  std::ofstream out{path("openssl.cnf")};
  out << openssl_config;
  if (!out)
    throw std::runtime_error("cannot write " + path("openssl.cnf"));
}

certificate_dir::~certificate_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string certificate_dir::path(const std::string& file) const {
  return dir_ + "/" + file;
}

void certificate_dir::openssl(const std::string& args) {
  auto cmd = "cd " + shell_quoted(dir_) + " && openssl " + args +
             " </dev/null >openssl.log 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream log{path("openssl.log")};
    std::stringstream text;
    text << log.rdbuf();
    throw std::runtime_error("openssl " + args + " failed: " + text.str());
  }
}

std::string certificate_dir::make_ca(const std::string& name) {
  openssl("req -x509 " + std::string{new_key} + " -extensions ca -days " +
          std::to_string(validity_days) + " -subj " +
          shell_quoted("/CN=" + name) + " -keyout " + name + ".key -out " +
          name + ".pem");
  return path(name + ".pem");
}

key_pair certificate_dir::issue(const std::string& name, const std::string& ca,
                                const std::string& passphrase) {
  openssl("req -new " + std::string{new_key} + " -subj " +
          shell_quoted("/CN=" + name) + " -keyout " + name + ".key -out " +
          name + ".csr");
  openssl("x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
          ".key -set_serial " + std::to_string(next_serial_++) + " -days " +
          std::to_string(validity_days) +
          " -extfile openssl.cnf -extensions leaf -out " + name + ".pem");
  key_pair result{path(name + ".pem"), path(name + ".key")};
  if (!passphrase.empty()) {
    openssl("pkey -in " + name + ".key -aes256 -passout " +
            shell_quoted("pass:" + passphrase) + " -out " + name + ".enc.key");
    result.key = path(name + ".enc.key");
  }
  return result;
}

key_pair certificate_dir::self_signed(const std::string& name) {
  return key_pair{make_ca(name), path(name + ".key")};
}

configuration tls_config() {
  auto cfg = test_config();
  cfg.set("broker.disable-ssl", false);
  return cfg;
}

configuration tls_config(const key_pair& own, const std::string& cafile,
                         const std::string& passphrase) {
  auto cfg = tls_config();
  cfg.openssl_certificate(own.certificate);
  cfg.openssl_key(own.key);
  if (!cafile.empty())
    cfg.openssl_cafile(cafile);
  if (!passphrase.empty())
    cfg.openssl_passphrase(passphrase);
  return cfg;
}

} // namespace broker::test
