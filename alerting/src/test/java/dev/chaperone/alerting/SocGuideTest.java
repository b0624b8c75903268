package dev.chaperone.alerting;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/soc-guide.md names every rule id with the response the alerts carry. */
class SocGuideTest {

  @Test
  void shouldGuideTheAnalystThroughEveryRule() throws Exception {
    String guide = Files.readString(Path.of("..", "docs", "soc-guide.md"));
    for (Rule rule : Rule.values()) {
      int section = guide.indexOf("## `" + rule.name() + "`");
      assertTrue(section >= 0, rule + " has no section");
      int next = guide.indexOf("\n## ", section + 1);
      String text = guide.substring(section, next < 0 ? guide.length() : next);
      assertTrue(text.contains(rule.response()), rule + ": the response the alerts carry");
      assertTrue(text.contains(rule.title()), rule + ": its title");
      assertTrue(text.contains("```"), rule + ": an example alert");
    }
  }
}
