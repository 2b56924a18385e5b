package herald.support;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Prints every thread's stack when a test fails by waiting too long (a blocking read that timed
 * out, an {@code await()} that gave up), then lets the failure through. A hang that happens once in
 * fifty runs is found from the one log that shows it, not by running again. Registered for every
 * test through {@code META-INF/services} (with extension autodetection on in {@code
 * junit-platform.properties}).
 */
public final class ThreadDumpOnTimeout implements TestExecutionExceptionHandler {

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    if (isTimeout(failure)) {
      System.out.println(dump(context.getDisplayName() + " timed out: " + failure));
    }
    throw failure;
  }

  private static boolean isTimeout(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      String message = String.valueOf(cause.getMessage());
      if (cause instanceof TimeoutException
          || cause.getClass().getSimpleName().contains("Timeout")
          || message.contains("Timeout on blocking read")) {
        return true;
      }
    }
    return false;
  }

  private static String dump(String why) {
    StringBuilder text = new StringBuilder("==== thread dump: ").append(why).append('\n');
    for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true, 64)) {
      text.append('"').append(thread.getThreadName()).append("\" ").append(thread.getThreadState());
      if (thread.getLockName() != null) {
        text.append(" on ").append(thread.getLockName());
      }
      if (thread.getLockOwnerName() != null) {
        text.append(" owned by \"").append(thread.getLockOwnerName()).append('"');
      }
      text.append('\n');
      for (StackTraceElement frame : thread.getStackTrace()) {
        text.append("    at ").append(frame).append('\n');
      }
    }
    return text.append("==== end of thread dump\n").toString();
  }
}
