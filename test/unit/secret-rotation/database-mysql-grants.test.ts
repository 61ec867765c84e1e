import { describe, expect, it } from 'vitest';
import { rewriteGrant } from '../../../functions/secret-rotation/rotators/mysql.js';

describe('rewriteGrant', () => {
  it('moves a MariaDB/MySQL 8 grant to the clone and drops the password hash and REQUIRE trailer', () => {
    expect(
      rewriteGrant(
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*2B60229' REQUIRE SSL",
        'app',
        '%',
        'app_clone',
      ),
    ).toBe("GRANT USAGE ON *.* TO 'app_clone'@'%'");
  });

  it('keeps WITH GRANT OPTION and the object names, even when an object is named like the grantee', () => {
    expect(
      rewriteGrant(
        'GRANT SELECT ON `x TO ``app``@``%```.* TO `app`@`%` WITH GRANT OPTION',
        'app',
        '%',
        'app_clone',
      ),
    ).toBe("GRANT SELECT ON `x TO ``app``@``%```.* TO 'app_clone'@'%' WITH GRANT OPTION");
  });

  it('reads the quoted form of MySQL 5.7 and user names with quotes, backticks and backslashes', () => {
    expect(
      rewriteGrant("GRANT SELECT ON `db`.* TO 'o''neil'@'10.0.0.%'", "o'neil", '10.0.0.%', "o'neil_clone"),
    ).toBe("GRANT SELECT ON `db`.* TO 'o\\'neil_clone'@'10.0.0.%'");
    expect(rewriteGrant('GRANT SELECT ON `db`.* TO `a``b\\c`@`%`', 'a`b\\c', '%', 'a`b\\c_clone')).toBe(
      "GRANT SELECT ON `db`.* TO 'a`b\\\\c_clone'@'%'",
    );
  });

  it('ignores lines that are not grants of the account', () => {
    expect(rewriteGrant('SET DEFAULT ROLE `r` FOR `app`@`%`', 'app', '%', 'app_clone')).toBeUndefined();
    expect(rewriteGrant('GRANT SELECT ON *.* TO `other`@`%`', 'app', '%', 'app_clone')).toBeUndefined();
  });
});
